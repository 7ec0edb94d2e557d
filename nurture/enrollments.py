"""Enroll leads in sequences (by hand or as routing decided) and read enrollments back.

An enrollment starts on the sequence's latest version at its first step, due at once; the tick
runs it. A lead is in a sequence at most once at a time, and a routing decision enrolls at most
once. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leads.errors import LeadNotFound
from leads.models import Lead, RoutingDecision, as_utc
from leads.nurture_models import ACTIVE_ENROLLMENT, Enrollment, NurtureSequence, NurtureStepLog
from nurture.claims import begin_writing
from nurture.errors import EnrollmentNotFound, SequenceNotFound
from nurture.sequences import get_sequence, load_version

_log = logging.getLogger("nurture.enrollments")
ROUTING_ACTION = "nurture"


@dataclass(frozen=True)
class Enrolled:
    """The outcome of enrolling one lead."""

    lead_id: int
    sequence_key: str
    status: str  # enrolled | already (active in it, or this decision enrolled it) | paused
    enrollment_id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class EnrollCounts:
    """What enrolling routed leads did."""

    enrolled: int = 0
    already: int = 0
    paused: int = 0
    unknown_sequence: int = 0
    not_nurture: int = 0
    enrollment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class EnrollmentRow:
    """An enrollment as the CLI and the API list it."""

    id: int
    lead_id: int
    lead_email: str | None
    sequence_key: str
    version: int
    status: str
    step_id: str | None
    visit: int
    next_run_at: datetime | None
    variants: dict[str, str]
    entered_at: datetime
    finished_at: datetime | None
    exit_reason: str | None
    steps_run: int
    last_error: str | None


@dataclass(frozen=True)
class StepLogRow:
    """One line of an enrollment's history."""

    at: datetime
    step_id: str | None
    kind: str
    variant: str | None
    detail: str | None


def _active(session: Session, *, lead_id: int, sequence_id: int) -> Enrollment | None:
    query = select(Enrollment).where(
        Enrollment.lead_id == lead_id,
        Enrollment.sequence_id == sequence_id,
        Enrollment.status == ACTIVE_ENROLLMENT,
    )
    return session.scalars(query).first()


def enroll(
    session: Session,
    *,
    lead_id: int,
    sequence_key: str,
    at: datetime,
    decision_id: int | None = None,
) -> Enrolled:
    """Start the lead on the sequence's latest version, first step due at `at`."""
    begin_writing(session)  # SQLite: BEGIN before the savepoint below (see nurture.claims)
    if session.get(Lead, lead_id) is None:
        raise LeadNotFound(f"no lead has id {lead_id}")
    sequence = get_sequence(session, key=sequence_key)
    running = _active(session, lead_id=lead_id, sequence_id=sequence.id)
    if running is not None:
        return Enrolled(lead_id, sequence_key, "already", running.id, running.version)
    if not sequence.active:
        return Enrolled(lead_id, sequence_key, "paused")
    version, steps = load_version(session, key=sequence_key)
    at = as_utc(at)
    enrollment = Enrollment(
        lead_id=lead_id,
        sequence_id=sequence.id,
        version=version,
        status=ACTIVE_ENROLLMENT,
        step_id=steps.first,
        visit=1,
        next_run_at=at,
        variants={},
        entered_at=at,
        steps_run=0,
        decision_id=decision_id,
    )
    try:
        with session.begin_nested():
            session.add(enrollment)
    except IntegrityError:  # enrolled at the same moment by another worker
        running = _active(session, lead_id=lead_id, sequence_id=sequence.id)
        return Enrolled(lead_id, sequence_key, "already", running.id if running else None)
    return Enrolled(lead_id, sequence_key, "enrolled", enrollment.id, version)


def latest_decisions(session: Session, *, lead_ids: Collection[int]) -> dict[int, RoutingDecision]:
    """Return each lead's newest routing decision."""
    if not lead_ids:
        return {}
    newest = (
        select(func.max(RoutingDecision.id))
        .where(RoutingDecision.lead_id.in_(sorted(set(lead_ids))))
        .group_by(RoutingDecision.lead_id)
    )
    rows = session.scalars(select(RoutingDecision).where(RoutingDecision.id.in_(newest)))
    return {row.lead_id: row for row in rows}


def routed_to_nurture(session: Session) -> list[int]:
    """Return the leads that routing has ever sent to nurture (enroll_routed checks the newest)."""
    query = select(RoutingDecision.lead_id).where(RoutingDecision.action == "nurture").distinct()
    return sorted(session.scalars(query))


def enroll_routed(session: Session, *, lead_ids: Collection[int], at: datetime) -> EnrollCounts:
    """Enroll each lead whose newest routing decision is nurture, in the sequence it names."""
    decisions = latest_decisions(session, lead_ids=lead_ids)
    counts = {"enrolled": 0, "already": 0, "paused": 0, "unknown_sequence": 0, "not_nurture": 0}
    ids: list[int] = []
    for lead_id in sorted(set(lead_ids)):
        decision = decisions.get(lead_id)
        if decision is None or decision.action != ROUTING_ACTION or not decision.sequence:
            counts["not_nurture"] += 1
            continue
        if _decision_used(session, decision_id=decision.id):
            counts["already"] += 1
            continue
        try:
            done = enroll(
                session,
                lead_id=lead_id,
                sequence_key=decision.sequence,
                at=at,
                decision_id=decision.id,
            )
        except SequenceNotFound:
            _log.warning(
                "lead %d not enrolled: routing named sequence %r, which is not loaded",
                lead_id,
                decision.sequence,
            )
            counts["unknown_sequence"] += 1
            continue
        counts[done.status] += 1
        if done.status == "enrolled" and done.enrollment_id is not None:
            ids.append(done.enrollment_id)
    return EnrollCounts(**counts, enrollment_ids=tuple(ids))


def _decision_used(session: Session, *, decision_id: int) -> bool:
    query = select(Enrollment.id).where(Enrollment.decision_id == decision_id).limit(1)
    return session.scalars(query).first() is not None


def enrollment_rows(
    session: Session,
    *,
    sequence_key: str | None = None,
    lead_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EnrollmentRow]:
    """Return enrollments, newest first, optionally of one sequence, lead or status."""
    query = (
        select(Enrollment, NurtureSequence.key, Lead.email)
        .join(NurtureSequence, NurtureSequence.id == Enrollment.sequence_id)
        .join(Lead, Lead.id == Enrollment.lead_id)
        .order_by(Enrollment.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if sequence_key is not None:
        get_sequence(session, key=sequence_key)  # an unknown key raises, naming the known ones
        query = query.where(NurtureSequence.key == sequence_key)
    if lead_id is not None:
        query = query.where(Enrollment.lead_id == lead_id)
    if status is not None:
        query = query.where(Enrollment.status == status)
    return [_row(e, key, email) for e, key, email in session.execute(query).tuples()]


def get_enrollment(session: Session, *, enrollment_id: int) -> EnrollmentRow:
    """Return one enrollment."""
    query = (
        select(Enrollment, NurtureSequence.key, Lead.email)
        .join(NurtureSequence, NurtureSequence.id == Enrollment.sequence_id)
        .join(Lead, Lead.id == Enrollment.lead_id)
        .where(Enrollment.id == enrollment_id)
    )
    found = session.execute(query).tuples().first()
    if found is None:
        raise EnrollmentNotFound(f"no enrollment has id {enrollment_id}")
    return _row(*found)


def enrollment_log(session: Session, *, enrollment_id: int) -> list[StepLogRow]:
    """Return an enrollment's step log, oldest first."""
    get_enrollment(session, enrollment_id=enrollment_id)
    query = (
        select(NurtureStepLog)
        .where(NurtureStepLog.enrollment_id == enrollment_id)
        .order_by(NurtureStepLog.at, NurtureStepLog.id)
    )
    return [
        StepLogRow(as_utc(r.at), r.step_id, r.kind, r.variant, r.detail)
        for r in session.scalars(query)
    ]


def _row(e: Enrollment, key: str, email: str | None) -> EnrollmentRow:
    return EnrollmentRow(
        id=e.id,
        lead_id=e.lead_id,
        lead_email=email,
        sequence_key=key,
        version=e.version,
        status=e.status,
        step_id=e.step_id,
        visit=e.visit,
        next_run_at=as_utc(e.next_run_at) if e.next_run_at else None,
        variants=dict(e.variants or {}),
        entered_at=as_utc(e.entered_at),
        finished_at=as_utc(e.finished_at) if e.finished_at else None,
        exit_reason=e.exit_reason,
        steps_run=e.steps_run,
        last_error=e.last_error,
    )
