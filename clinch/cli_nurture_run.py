"""`clinch nurture enroll|tick|deliver|enrollments|sends`: run the engine by hand, look inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from clinch.cli_nurture import console, fail, lead_by_email, nurture_app, nurture_session
from clinch.cli_output import print_json
from clinch.nurture_config import nurture_config
from clinch.nurture_delivery import NurtureMailClients, deliver_sends
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.errors import ClinchError
from nurture import enrollments, sending
from nurture.tick import run_tick

sends_app = typer.Typer(help="Nurture sends: the outbox of email steps.", no_args_is_help=True)
nurture_app.add_typer(sends_app, name="sends")


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


@nurture_app.command("enroll")
def enroll_command(
    routed: Annotated[
        bool, typer.Option("--routed", help="Every lead whose latest routing decision is nurture")
    ] = False,
    lead: Annotated[str | None, typer.Option(help="One lead's email")] = None,
    sequence: Annotated[str | None, typer.Option(help="The sequence, with --lead")] = None,
) -> None:
    """Enroll routed leads in their segment's sequence, or one lead in a named sequence."""
    if routed == (lead is not None):
        raise fail(ClinchError("give either --routed, or --lead EMAIL with --sequence KEY"))
    at = datetime.now(UTC)
    try:
        with nurture_session() as session:
            if lead is not None:
                if sequence is None:
                    raise ClinchError("--lead needs --sequence KEY")
                found = lead_by_email(session, lead)
                done = enrollments.enroll(session, lead_id=found.id, sequence_key=sequence, at=at)
                console.print(f"{lead}: {done.status} ({sequence})", soft_wrap=True)
                return
            ids = enrollments.routed_to_nurture(session)
            counts = enrollments.enroll_routed(session, lead_ids=ids, at=at)
    except ClinchError as exc:
        raise fail(exc) from None
    console.print(
        f"{counts.enrolled} enrolled, {counts.already} already in their sequence, "
        f"{counts.paused} held by a paused sequence, {counts.unknown_sequence} sent to a "
        f"sequence that is not loaded, {counts.not_nurture} no longer routed to nurture"
    )


@nurture_app.command("tick")
def tick_command(
    deliver: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Send what the tick wrote, here")
    ] = True,
) -> None:
    """Run every due step now (what the beat does every few seconds), then send the mail."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        result = run_tick(sessions, config=nurture_config(settings), now=datetime.now(UTC))
        console.print(
            f"{result.claimed} enrollments due, {result.steps} steps run, "
            f"{len(result.send_ids)} emails written, {result.ended} ended, {result.errors} errors"
        )
        if deliver and result.send_ids:
            clients = NurtureMailClients(settings, sessions=sessions)
            recorded = deliver_sends(clients, result.send_ids)
            by_status: dict[str, int] = {}
            for r in recorded:
                by_status[r.status] = by_status.get(r.status, 0) + 1
            where = "SMTP" if clients.uses_smtp else str(clients.outbox)
            listed = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "none"
            console.print(f"delivered to {where}: {listed}", soft_wrap=True)
    finally:
        engine.dispose()


@nurture_app.command("deliver")
def deliver_command() -> None:
    """Send every pending send that is due (what `nurture.retry_sends` does on beat)."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            ids = sending.due_send_ids(session, now=datetime.now(UTC), limit=100_000)
        recorded = deliver_sends(NurtureMailClients(settings, sessions=sessions), ids)
    finally:
        engine.dispose()
    sent = sum(1 for r in recorded if r.status == "sent")
    console.print(f"{len(ids)} due, {sent} sent, {len(recorded) - sent} not sent (see `sends`)")


@nurture_app.command("enrollments")
def enrollments_command(
    sequence: Annotated[str | None, typer.Option(help="Only this sequence")] = None,
    status: Annotated[
        str | None, typer.Option(help="active, completed, converted or exited")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List enrollments, the newest first."""
    try:
        with nurture_session() as session:
            rows = enrollments.enrollment_rows(
                session, sequence_key=sequence, status=status, limit=limit
            )
    except ClinchError as exc:
        raise fail(exc) from None
    if as_json:
        print_json(console, [vars(r) for r in rows])
        return
    table = Table("id", "lead", "sequence", "v", "status", "step", "next run", "exit")
    for r in rows:
        table.add_row(
            str(r.id),
            r.lead_email or str(r.lead_id),
            r.sequence_key,
            str(r.version),
            r.status,
            r.step_id or "",
            _when(r.next_run_at),
            r.exit_reason or "",
        )
    console.print(table)


@nurture_app.command("enrollment")
def enrollment_command(enrollment_id: Annotated[int, typer.Argument(help="Its id")]) -> None:
    """Show one enrollment and its history, step by step."""
    try:
        with nurture_session() as session:
            row = enrollments.get_enrollment(session, enrollment_id=enrollment_id)
            log = enrollments.enrollment_log(session, enrollment_id=enrollment_id)
    except ClinchError as exc:
        raise fail(exc) from None
    who = row.lead_email or f"lead {row.lead_id}"
    console.print(
        f"{who} in {row.sequence_key} v{row.version}: {row.status}"
        + (f" at {row.step_id}, next run {_when(row.next_run_at)}" if row.step_id else "")
        + (f"; {row.exit_reason}" if row.exit_reason else ""),
        soft_wrap=True,
    )
    table = Table("at", "step", "what", "variant", "detail")
    for entry in log:
        table.add_row(
            _when(entry.at),
            entry.step_id or "",
            entry.kind,
            entry.variant or "",
            entry.detail or "",
        )
    console.print(table)


@sends_app.command("list")
def sends_list_command(
    status: Annotated[str | None, typer.Option(help="pending, sent, suppressed or dead")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List sends, the newest first, with why any was not sent."""
    if status is not None and status not in sending.STATUSES:
        raise fail(ClinchError(f"unknown status {status!r}: use {', '.join(sending.STATUSES)}"))
    with nurture_session() as session:
        rows = sending.send_rows(session, status=status, limit=limit)
    if as_json:
        print_json(console, [vars(r) for r in rows])
        return
    table = Table("id", "to", "template", "step", "variant", "status", "tries", "error")
    for r in rows:
        table.add_row(
            str(r.id),
            r.to_email or "",
            r.template,
            r.step_id,
            r.variant or "",
            r.status,
            str(r.attempts),
            (r.last_error or "")[:80],
        )
    console.print(table)


@sends_app.command("retry")
def sends_retry_command(send_id: Annotated[int, typer.Argument(help="A dead send's id")]) -> None:
    """Give a dead send (out of retries) a fresh round, due now."""
    try:
        with nurture_session() as session:
            recorded = sending.retry_dead(
                session, send_id=send_id, now=datetime.now(UTC), actor="cli"
            )
    except ClinchError as exc:
        raise fail(exc) from None
    console.print(f"send {recorded.send_id}: {recorded.status}; run `clinch nurture deliver`")
