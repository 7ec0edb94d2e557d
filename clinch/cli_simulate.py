"""`clinch simulate`: a seeded SaaS funnel into the store, or routing over a simulated week."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinch import routing_simulation
from clinch.cli_output import print_json
from clinch.routing_world import START
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.db import unit_of_work
from leads.errors import ClinchError
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.live_prospects import live_prospects
from leads.simulator import simulate

BATCH = 500
console = Console()
simulate_app = typer.Typer(
    help="Simulate prospects and their events into the store (again adds nothing); `routing`: "
    "run the real routing over a simulated week in a throwaway store.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _progress(label: str, *, disable: bool) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=disable,
        transient=True,
    )


@simulate_app.callback()
def simulate_command(
    ctx: typer.Context,
    leads: Annotated[int, typer.Option(help="How many leads", min=1, max=5_000_000)] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same funnel")] = 7,
    days: Annotated[int, typer.Option(help="Days of history, ending now", min=1, max=1800)] = 90,
    live: Annotated[
        int, typer.Option(help="Prospects active in the last hours (every other asks)", min=0)
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Simulate leads and their events and store them; running it again adds nothing."""
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    now = datetime.now(UTC)
    counts: Counter[str] = Counter()
    buyers = 0
    pending: list[EventIn] = []

    def flush() -> None:
        with unit_of_work(sessions) as session:
            result = ingest_events(session, batch=pending, received_at=now, actor="simulator")
        counts.update(o.status for o in result.outcomes)
        pending.clear()

    try:
        with _progress("simulating", disable=as_json) as progress:
            task = progress.add_task("leads", total=leads)
            for _lead, events in simulate(leads=leads, seed=seed, end=now, days=days):
                buyers += any(e.type == "purchase" for e in events)
                pending.extend(events)
                if len(pending) >= BATCH:
                    flush()
                progress.advance(task)
            for events in live_prospects(count=live, seed=seed, end=now):
                pending.extend(events)
            if pending:
                flush()
    finally:
        engine.dispose()
    summary = {"leads": leads, "live": live, "seed": seed, "buyers": buyers, "events": dict(counts)}
    if as_json:
        print_json(console, summary)
    else:
        console.print(
            f"{leads} leads ({buyers} bought), {live} live prospects; events: "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        )


@simulate_app.command("routing", help=routing_simulation.__doc__)
def routing_command(
    leads: Annotated[int, typer.Option(help="Leads arriving over the week", min=1)] = 10_000,
    reps: Annotated[int, typer.Option(help="Reps, spread over time zones", min=1)] = 8,
    days: Annotated[int, typer.Option(help="Simulated days", min=1, max=90)] = 7,
    seed: Annotated[int, typer.Option(help="Same seed, same run")] = 7,
    beat_seconds: Annotated[
        int, typer.Option(help="Simulated seconds between beat ticks", min=1, max=3600)
    ] = 30,
    rules: Annotated[Path, typer.Option(help="Routing rules file")] = routing_simulation.DEMO_RULES,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the real routing over a simulated week in a throwaway store and check it."""
    try:
        loaded = routing_simulation.load_rules(rules)
    except ClinchError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    total = days * 86400
    with _progress("simulated seconds", disable=as_json) as progress:
        task = progress.add_task("routing", total=total)
        start = START

        def on_tick(now: datetime) -> None:
            progress.update(task, completed=(now - start).total_seconds())

        figures = routing_simulation.run_routing_simulation(
            leads=leads,
            reps=reps,
            days=days,
            seed=seed,
            beat_seconds=beat_seconds,
            rules=loaded,
            on_tick=on_tick,
        )
    if as_json:
        print_json(console, figures)
        return
    _print_figures(figures)


def _print_figures(figures: dict[str, object]) -> None:
    from rich.table import Table

    zeros = ("unassigned_with_capacity", "double_assignments", "sla_reassigned_late")
    for key, value in figures.items():
        if key == "per_rep":
            continue
        mark = "" if key not in zeros else (" [green]ok[/]" if value == 0 else " [red]FAIL[/]")
        console.print(f"{key}: {value}{mark}")
    table = Table("rep", "offered", "accepted", "missed", "closed", "max open", "cap")
    rows = figures["per_rep"]
    assert isinstance(rows, list)
    for row in rows:
        table.add_row(
            *(
                str(row[k])
                for k in ("rep", "offered", "accepted", "missed", "closed", "max_open", "capacity")
            )
        )
    console.print(table)


@simulate_app.command("nurture")
def nurture_command(
    days: Annotated[int, typer.Option(min=1, max=90, help="Simulated days, ending now")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated answers")] = 7,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the real nurture engine over the last DAYS on a simulated clock (see the module)."""
    from clinch.assistant_wiring import load_public_catalog
    from clinch.nurture_config import nurture_config
    from clinch.nurture_delivery import NurtureMailClients
    from clinch.nurture_simulation import simulate_nurture

    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        found = load_public_catalog(sessions, company=settings.company_name)
        result = simulate_nurture(
            sessions,
            mail=NurtureMailClients(settings, sessions=sessions),
            config=nurture_config(settings),
            catalog=found[0] if found else None,
            signing_key=settings.signing_key(),
            now=datetime.now(UTC),
            days=days,
            seed=seed,
        )
    finally:
        engine.dispose()
    if as_json:
        print_json(console, vars(result))
        return
    answers = ", ".join(f"{n} {kind}" for kind, n in sorted(result.answers.items())) or "none"
    console.print(
        f"{result.enrolled} leads enrolled {days} days ago; {result.ticks} hourly ticks ran "
        f"{result.steps} steps and sent {result.sent} emails; answers: {answers}; "
        f"{result.ended} enrollments ended on an answer",
        soft_wrap=True,
    )
