"""`clinch nurture stats|preview|dry-run|templates`: what a sequence did, and would do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from clinch.cli_nurture import (
    catalog_of,
    console,
    fail,
    lead_by_email,
    nurture_app,
    nurture_session,
)
from clinch.cli_output import print_json
from clinch.nurture_config import nurture_config
from clinch.settings import get_settings
from leads.errors import ClinchError
from nurture import stats, templates
from nurture.dry_run import dry_run
from nurture.preview import preview_step

templates_app = typer.Typer(help="The email template library.", no_args_is_help=True)
nurture_app.add_typer(templates_app, name="templates")


def _pct(value: float) -> str:
    return f"{value:.1%}"


@nurture_app.command("stats")
def stats_command(
    key: Annotated[str, typer.Argument(help="The sequence's key")],
    version: Annotated[int | None, typer.Option(help="One version (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a sequence's per-step funnel and its A/B results with the verdict."""
    try:
        with nurture_session() as session:
            funnel = stats.funnel(session, key=key, version=version)
            splits = stats.ab_results(session, key=key, version=version)
    except ClinchError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(console, {"funnel": funnel, "ab": splits})
        return
    table = Table(
        "step", "kind", "entered", "sent", "clicked", "converted", "exited", "waiting",
        title=f"{key}: {funnel.enrolled} enrolled, {funnel.converted} converted",
    )  # fmt: skip
    for s in funnel.steps:
        table.add_row(
            s.step_id, s.kind, str(s.entered), str(s.sent), str(s.clicked),
            str(s.converted), str(s.exited), str(s.waiting),
        )  # fmt: skip
    console.print(table)
    for split in splits:
        arms = Table("variant", "enrolled", "clicked", "converted", title=f"split {split.step_id}")
        for arm in split.arms:
            arms.add_row(
                arm.variant,
                str(arm.enrolled),
                f"{arm.clicked.count} ({_pct(arm.clicked.rate)})",
                f"{arm.converted.count} ({_pct(arm.converted.rate)}, "
                f"{_pct(arm.converted.low)}–{_pct(arm.converted.high)})",
            )
        console.print(arms)
        console.print(f"[bold]{split.verdict.summary}[/]", soft_wrap=True)


@nurture_app.command("preview")
def preview_command(
    key: Annotated[str, typer.Argument(help="The sequence's key")],
    step: Annotated[str, typer.Argument(help="An email step's id")],
    lead: Annotated[str, typer.Option(help="The lead's email")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest)")] = None,
) -> None:
    """Print a step's email as this lead would get it (subject and plain text)."""
    settings = get_settings()
    try:
        with nurture_session() as session:
            found = lead_by_email(session, lead)
            shown = preview_step(
                session,
                key=key,
                step_id=step,
                lead_id=found.id,
                config=nurture_config(settings),
                catalog=catalog_of(session),
                version=version,
            )
    except ClinchError as exc:
        raise fail(exc) from None
    console.print(f"To: {shown.to}\nSubject: {shown.subject}\n", soft_wrap=True)
    console.file.write(shown.text + "\n")


@nurture_app.command("dry-run")
def dry_run_command(
    key: Annotated[str, typer.Argument(help="The sequence's key")],
    sample: Annotated[int, typer.Option(min=1, max=500, help="Leads to sample")] = 50,
    days: Annotated[int, typer.Option(min=1, max=90, help="Days to simulate")] = 30,
    seed: Annotated[int, typer.Option(help="The sample's random seed")] = 7,
    version: Annotated[int | None, typer.Option(help="A version (default: the latest)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Simulate a sequence for a sample of leads over the coming days; nothing is written."""
    settings = get_settings()
    try:
        with nurture_session() as session:
            result = dry_run(
                session,
                key=key,
                now=datetime.now(UTC),
                config=nurture_config(settings),
                days=days,
                sample=sample,
                version=version,
                seed=seed,
            )
    except ClinchError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(console, result)
        return
    table = Table(
        "step", "kind", "reached", "sent", "median day", title=f"{key} v{result.version}: dry run"
    )
    for s in result.steps:
        day = "" if s.median_send_day is None else f"{s.median_send_day:g}"
        table.add_row(
            s.step_id, s.kind, str(s.counts.get("reached", 0)), str(s.counts.get("sent", 0)), day
        )
    console.print(table)
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(result.outcomes.items()))
    console.print(
        f"{result.sampled} leads over {result.days} days: {result.emails} emails; {outcomes}",
        soft_wrap=True,
    )


@templates_app.command("list")
def templates_list_command() -> None:
    """List the templates with their versions."""
    with nurture_session() as session:
        rows = templates.list_templates(session)
    table = Table("template", "version", "subject", "html", "updated")
    for t in rows:
        html = "yes" if t.html else "text only"
        table.add_row(t.name, str(t.version), t.subject, html, f"{t.updated_at:%Y-%m-%d %H:%M}")
    console.print(table)


@templates_app.command("show")
def templates_show_command(
    name: Annotated[str, typer.Argument(help="The template's name")],
) -> None:
    """Print a template's sources."""
    try:
        with nurture_session() as session:
            t = templates.get_template(session, name=name)
    except ClinchError as exc:
        raise fail(exc) from None
    console.file.write(f"# {t.name} v{t.version}\nsubject: {t.subject}\n\n{t.text}\n")
