"""`clinch leads`: the scored lead list and one lead's score, reasons and history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from clinch.cli_output import print_json
from clinch.scoring_tasks import RESCORE_CHUNK, ScoringClients
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.db import unit_of_work
from leads.errors import LeadNotFound
from leads.lead_list import LIST_MAX, list_scored_leads, score_summary
from leads.profiles import get_lead_view
from leads.snapshots import lead_id_pages
from scoring.errors import ModelNotTrained
from scoring.lead_scoring import rescore_chunk

leads_app = typer.Typer(help="See scored leads and why they scored so.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


class BandChoice(StrEnum):
    """A score band."""

    hot = "hot"
    warm = "warm"
    cold = "cold"


@contextmanager
def _reading() -> Iterator[Session]:
    """Open the configured store for one read-only session, and close it after."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            yield session
    finally:
        engine.dispose()


@leads_app.command("list")
def list_command(
    band: Annotated[BandChoice | None, typer.Option(help="Only this band")] = None,
    limit: Annotated[int, typer.Option(min=1, max=LIST_MAX)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List leads by their newest score, highest first."""
    with _reading() as session:
        rows = list_scored_leads(session, band=band.value if band else None, limit=limit)
    if as_json:
        print_json(console, [{**asdict(r), "summary": score_summary(r.probability)} for r in rows])
        return
    if not rows:
        console.print("no scored leads yet: send events, or `clinch simulate` and `clinch train`")
        return
    table = Table("lead", "who", "score", "band", "top reason")
    for r in rows:
        who = r.email or r.name or "anonymous visitor"
        table.add_row(
            str(r.lead_id),
            who,
            score_summary(r.probability),
            r.band,
            r.reasons[0] if r.reasons else "",
        )
    console.print(table)


@leads_app.command("show")
def show_command(
    lead_id: Annotated[int, typer.Argument(help="The lead's id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one lead: identity, account, score in words with its reasons, recent events."""
    try:
        with _reading() as session:
            view = get_lead_view(session, lead_id=lead_id, events_limit=10)
    except LeadNotFound as exc:
        err.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    if as_json:
        print_json(console, asdict(view))
        return
    _print_view(asdict(view))


def _print_view(view: dict[str, Any]) -> None:
    who = view["email"] or view["name"] or "anonymous visitor"
    account = view["account"]
    company = f" at {account['name'] or account['domain']}" if account else ""
    console.print(f"[bold]lead {view['id']}[/]: {who}{company}", soft_wrap=True)
    score = view["score"]
    if score is None:
        console.print("not scored yet")
    else:
        console.print(
            f"{score['summary']} · {score['band']} · model {score['model_version']}",
            soft_wrap=True,
        )
        for reason in score["reasons"]:
            console.print(f"  • {reason['text']}", soft_wrap=True)
    for event in view["events"]:
        console.print(f"  {event['occurred_at']:%Y-%m-%d %H:%M} {event['type']}")


@leads_app.command("rescore")
def rescore_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rescore every lead now with the current model (what the periodic pass does)."""
    settings = get_settings()
    configure_process(settings)
    try:
        scorer = ScoringClients(settings).scorer()
    except ModelNotTrained as exc:
        err.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    engine, sessions = open_database(settings)
    as_of, leads, moved = datetime.now(UTC), 0, 0
    try:
        with sessions() as reader:
            pages = list(lead_id_pages(reader, size=RESCORE_CHUNK))
        for page in pages:
            with unit_of_work(sessions) as session:
                moved += len(rescore_chunk(session, lead_ids=page, scorer=scorer, as_of=as_of))
            leads += len(page)
    finally:
        engine.dispose()
    summary = {"leads": leads, "stored": moved, "model_version": scorer.model.version}
    if as_json:
        print_json(console, summary)
    else:
        console.print(
            f"rescored {leads} leads with {scorer.model.version}: {moved} scores moved and stored"
        )
