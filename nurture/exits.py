"""End enrollments whose exit conditions now hold, as soon as the event that triggers them lands.

The tick checks the same rules before every step (`nurture.interpreter.exit_reason`); this runs
them at once for the leads an event or a routing decision just touched, so an enrollment waiting
three days does not stay "active" after a purchase. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leads.models import as_utc
from leads.nurture_models import ACTIVE_ENROLLMENT, Enrollment, NurtureStepLog
from nurture.claims import begin_writing
from nurture.fact_loader import events_read, load_facts, reads_routing
from nurture.interpreter import CONVERTED, exit_detail, exit_reason
from nurture.tick import Versions, load_versions

# Event types after which the API asks for exits (the goal event of a sequence is caught by
# the tick too; the common goals are listed so conversions show at once).
EXIT_EVENT_TYPES = frozenset(
    {"purchase", "email_replied", "unsubscribe", "consent_withdrawn", "meeting_booked"}
)


@dataclass(frozen=True)
class Ended:
    """An enrollment that an exit condition ended."""

    enrollment_id: int
    lead_id: int
    status: str  # exited | converted
    reason: str


def exit_for_leads(
    session: Session, *, lead_ids: Collection[int], at: datetime, default_timezone: str = "UTC"
) -> list[Ended]:
    """End the leads' active enrollments whose exit conditions hold at `at`."""
    ids = sorted(set(lead_ids))
    if not ids:
        return []
    at = as_utc(at)
    begin_writing(session)
    rows = _active_rows(session, ids)
    if not rows:
        return []
    versions: Versions = {}
    load_versions(session, pairs=((r.sequence_id, r.version) for r in rows), known=versions)
    facts = load_facts(
        session,
        lead_ids=ids,
        now=at,
        event_types=events_read(versions.values()),
        default_timezone=default_timezone,
        bands=False,  # no exit rule reads the band
        routing=reads_routing(versions.values()),
    )
    ended: list[tuple[Ended, Any]] = []
    for row in rows:
        sequence, lead = versions.get((row.sequence_id, row.version)), facts.get(row.lead_id)
        if sequence is None or lead is None:
            continue  # the tick ends it with the error named
        found = exit_reason(sequence, lead, entered_at=as_utc(row.entered_at), now=at)
        if found is not None:
            ended.append((Ended(row.id, row.lead_id, *found), row))
    _end(session, ended, at=at)
    return [e for e, _ in ended]


def _active_rows(session: Session, ids: list[int]) -> Sequence[Any]:
    query = (
        select(
            Enrollment.id,
            Enrollment.lead_id,
            Enrollment.sequence_id,
            Enrollment.version,
            Enrollment.step_id,
            Enrollment.entered_at,
        )
        .where(Enrollment.lead_id.in_(ids), Enrollment.status == ACTIVE_ENROLLMENT)
        .order_by(Enrollment.id)
        .with_for_update()  # wait for a tick running one of them; then see its advance
    )
    return session.execute(query).all()


def _end(session: Session, ended: list[tuple[Ended, Any]], *, at: datetime) -> None:
    if not ended:
        return
    session.execute(
        update(Enrollment),
        [
            {
                "id": e.enrollment_id,
                "status": e.status,
                "exit_reason": e.reason,
                "next_run_at": None,
                "finished_at": at,
            }
            for e, _ in ended
        ],
    )
    session.execute(
        insert(NurtureStepLog),
        [
            {
                "enrollment_id": e.enrollment_id,
                "sequence_id": row.sequence_id,
                "version": row.version,
                "step_id": row.step_id,
                "kind": "converted" if e.status == CONVERTED else "exited",
                "detail": exit_detail(e.reason),
                "at": at,
            }
            for e, row in ended
        ],
    )
