"""`clinch simulate`: fill the store with a seeded SaaS funnel through the real intake."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinch.cli_output import print_json
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.simulator import simulate

BATCH = 500
console = Console()


def simulate_command(
    leads: Annotated[int, typer.Option(help="How many leads", min=1, max=5_000_000)] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same funnel")] = 7,
    days: Annotated[int, typer.Option(help="Days of history, ending now", min=1, max=1800)] = 90,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Simulate leads and their events and store them; running it again adds nothing."""
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

    progress = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=as_json,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("leads", total=leads)
            for _lead, events in simulate(leads=leads, seed=seed, end=now, days=days):
                buyers += any(e.type == "purchase" for e in events)
                pending.extend(events)
                if len(pending) >= BATCH:
                    flush()
                progress.advance(task)
            if pending:
                flush()
    finally:
        engine.dispose()
    summary = {"leads": leads, "seed": seed, "buyers": buyers, "events": dict(counts)}
    if as_json:
        print_json(console, summary)
    else:
        console.print(
            f"{leads} leads ({buyers} bought); events: "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        )
