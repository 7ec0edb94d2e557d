"""`clinch reps`: load sales reps (and their calendars) from a YAML file, list them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clinch.cli_output import print_json
from clinch.routing_rules import RulesHolder
from clinch.routing_tasks import sweep_now
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.db import unit_of_work
from leads.errors import ClinchError
from leads.reps import list_reps, upsert_reps
from leads.reps_file import read_reps_file

reps_app = typer.Typer(help="Load and list sales reps.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@reps_app.command("load")
def load_command(
    path: Annotated[Path, typer.Argument(help="A reps YAML file, e.g. demo/reps.yaml")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create or update reps by email; a file with any error loads nothing."""
    try:
        reps = read_reps_file(path)  # every rep is checked before the database is touched
    except ClinchError as exc:
        err.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from None
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            result = upsert_reps(session, reps=reps)
        # New reps or more room: queued leads go to them now, not at the next beat.
        sweep_now(sessions, RulesHolder(settings.routing_rules_path))  # notices: beat sends them
    finally:
        engine.dispose()
    counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    if as_json:
        print_json(console, counts)
    else:
        console.print(
            f"{path}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )


@reps_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List reps with their team, territory, languages and working hours."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            rows: list[dict[str, Any]] = [
                {
                    "id": r.id,
                    "name": r.name,
                    "email": r.email,
                    "team": r.team,
                    "territory": r.territory,
                    "languages": list(r.languages),
                    "timezone": r.timezone,
                    "working_days": list(r.working_days),
                    "working_hours": f"{r.work_start}-{r.work_end}",
                    "meeting_minutes": r.meeting_minutes,
                    "active": r.active,
                }
                for r in list_reps(session)
            ]
    finally:
        engine.dispose()
    if as_json:
        print_json(console, rows)
        return
    table = Table("id", "name", "email", "team", "territory", "languages", "hours", "active")
    for r in rows:
        hours = f"{','.join(r['working_days'])} {r['working_hours']} {r['timezone']}"
        table.add_row(
            str(r["id"]),
            r["name"],
            r["email"],
            r["team"] or "",
            r["territory"] or "",
            ",".join(r["languages"]),
            hours,
            "yes" if r["active"] else "no",
        )
    console.print(table)
