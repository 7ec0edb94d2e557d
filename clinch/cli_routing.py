"""`clinch routing`: put routing rules in force, route leads, sweep SLAs, see the queue."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from clinch.cli_output import print_json
from clinch.routing_rules import RulesHolder, install_rules
from clinch.routing_tasks import route_now, sweep_now
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads import audit
from leads.db import unit_of_work
from leads.errors import ClinchError
from leads.models import Lead, QueuedLead, Score
from routing.rules import parse_rules, read_rules_text

routing_app = typer.Typer(help="Routing rules, the queue and the SLA sweep.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(exc: ClinchError) -> typer.Exit:
    err.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
    return typer.Exit(1)


@routing_app.command("check")
def check_command(path: Annotated[Path, typer.Argument(help="A routing rules YAML file")]) -> None:
    """Check a rules file without putting it in force."""
    try:
        rules = parse_rules(read_rules_text(path), source=str(path))
    except ClinchError as exc:
        raise _fail(exc) from None
    names = ", ".join(s.name for s in rules.segments)
    console.print(f"{path}: valid; segments {names}", soft_wrap=True)


@routing_app.command("load")
def load_command(
    path: Annotated[Path, typer.Argument(help="A routing rules YAML file, e.g. demo/routing.yaml")],
) -> None:
    """Check a rules file and put it in force; a file with any error changes nothing."""
    settings = get_settings()
    configure_process(settings)
    try:
        loaded = install_rules(path, target=settings.routing_rules_path)
    except ClinchError as exc:
        raise _fail(exc) from None
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            audit.record(
                session,
                actor="cli",
                action="routing.rules_loaded",
                subject_type="routing_rules",
                subject_id=loaded.version,
                detail={"source": str(path), "segments": [s.name for s in loaded.rules.segments]},
            )
    finally:
        engine.dispose()
    console.print(f"{path}: in force as version {loaded.version}", soft_wrap=True)


@routing_app.command("show")
def show_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the rules in force."""
    settings = get_settings()
    try:
        loaded = RulesHolder(settings.routing_rules_path).get()
    except ClinchError as exc:
        raise _fail(exc) from None
    data = {"version": loaded.version, **loaded.rules.model_dump(mode="json")}
    if as_json:
        print_json(console, data)
        return
    table = Table("segment", "assign at", "nurture", title=f"routing rules {loaded.version}")
    for segment in loaded.rules.segments:
        table.add_row(segment.name, f"{segment.assign_at:.0%}", segment.nurture)
    console.print(table)


@routing_app.command("route")
def route_command(
    lead_ids: Annotated[list[int] | None, typer.Argument(help="Lead ids (none: --all)")] = None,
    all_scored: Annotated[bool, typer.Option("--all", help="Every scored lead")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Route leads now (a lead already with a rep or in the queue stays put)."""
    if not lead_ids and not all_scored:
        err.print("[red]error:[/] name lead ids, or pass --all to route every scored lead")
        raise typer.Exit(2)
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        ids = list(lead_ids or [])
        if all_scored:
            with sessions() as session:
                query = (
                    select(Lead.id)
                    .where(Lead.merged_into_id.is_(None), Lead.id.in_(select(Score.lead_id)))
                    .order_by(Lead.id)
                )
                ids = list(session.scalars(query))
        routed = route_now(sessions, RulesHolder(settings.routing_rules_path), ids)
    except ClinchError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    counts = dict(Counter(r.action for r in routed))
    if as_json:
        print_json(console, counts)
    else:
        console.print(", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing")


@routing_app.command("sweep")
def sweep_command() -> None:
    """Run one SLA sweep and queue drain now (beat runs it every CLINCH_ROUTING__SWEEP_SECONDS)."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        misses, notices = sweep_now(sessions, RulesHolder(settings.routing_rules_path))
    finally:
        engine.dispose()
    console.print(f"{misses} lapsed offers re-assigned; {len(notices)} notices written")


@routing_app.command("queue")
def queue_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the leads waiting for a rep, oldest first."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            rows: list[dict[str, str | int]] = [
                {
                    "lead_id": q.lead_id,
                    "segment": q.segment,
                    "band": q.band,
                    "queued_at": q.queued_at.isoformat(),
                    "why": q.why,
                }
                for q in session.scalars(select(QueuedLead).order_by(QueuedLead.queued_at))
            ]
    finally:
        engine.dispose()
    if as_json:
        print_json(console, rows)
        return
    table = Table("lead", "segment", "band", "queued at", "why")
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("lead_id", "segment", "band", "queued_at", "why")))
    console.print(table)
