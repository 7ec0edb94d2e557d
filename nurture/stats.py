"""What a sequence did: the per-step funnel, A/B results with a verdict, and the overview.

Read-only SQL over the step log, the enrollments and the send outbox. Counts are of distinct
enrollments, so a lead who loops through a step counts once there. "sent" and "clicked" come from
the outbox (`status = sent`, `clicked_at`), "entered", "converted" and "exited" from the step log
(the step the enrollment was at when it happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from leads.models import as_utc
from leads.nurture_models import (
    ACTIVE_ENROLLMENT,
    Enrollment,
    NurtureSend,
    NurtureSequence,
    NurtureSequenceVersion,
    NurtureStepLog,
)
from nurture import repository
from nurture.definition import EmailStep, SplitStep, Step
from nurture.errors import SequenceNotFound
from nurture.graph import successors
from nurture.sequence_file import sequence_of
from nurture.sequences import get_sequence
from nurture.significance import Arm, Rate, Verdict, p_value, verdict, wilson

CONVERTED = "converted"
SENT = "sent"


@dataclass(frozen=True)
class StepFunnel:
    """One step's counts: enrollments that entered it, were sent or clicked its email, ended."""

    step_id: str
    kind: str
    template: str | None
    goes_to: tuple[str, ...]
    entered: int
    sent: int
    clicked: int
    converted: int
    exited: int
    completed: int
    waiting: int


@dataclass(frozen=True)
class Funnel:
    """A sequence's funnel over one version (or all of them when `version` is None)."""

    key: str
    version: int | None
    enrolled: int
    active: int
    converted: int
    exited: int
    completed: int
    steps: tuple[StepFunnel, ...]


@dataclass(frozen=True)
class ArmResult:
    """One variant of a split: leads that drew it, and how many clicked and converted."""

    variant: str
    weight: float
    goto: str
    enrolled: int
    clicked: Rate
    converted: Rate


@dataclass(frozen=True)
class SplitResult:
    """An A/B split's arms, the tests on conversion and clicks, and the verdict."""

    step_id: str
    version: int | None
    arms: tuple[ArmResult, ...]
    metric: str
    click_p_value: float | None
    verdict: Verdict


@dataclass(frozen=True)
class SequenceOverview:
    """A sequence as the marketer's list shows it, with what it did."""

    key: str
    name: str
    active: bool
    latest_version: int
    versions: int
    steps: int
    enrolled: int
    active_enrollments: int
    converted: int
    conversion_rate: float
    sent_last_7_days: int
    updated_at: datetime


def _steps_of(session: Session, sequence: NurtureSequence, version: int | None) -> list[Step]:
    """Return a version's steps; for all versions, the latest's, then steps only older ones had."""
    rows = repository.list_versions(session, sequence_id=sequence.id)
    if version is not None:
        rows = [r for r in rows if r.version == version]
        if not rows:
            raise SequenceNotFound(
                f"sequence {sequence.key!r} has no version {version} "
                f"(latest: {sequence.latest_version})"
            )
    found: dict[str, Step] = {}
    for row in rows:  # newest first: the latest version's shape wins
        for step in sequence_of(row.definition).steps:
            found.setdefault(step.id, step)
    return list(found.values())


def _kind(step: Step) -> str:
    return type(step).__name__.removesuffix("Step").lower()


def _scope(model: Any, sequence_id: int, version: int | None) -> list[ColumnElement[bool]]:
    """Return the conditions that keep a table's rows of this sequence (and version)."""
    found: list[ColumnElement[bool]] = [model.sequence_id == sequence_id]
    return found if version is None else [*found, model.version == version]


def _log_counts(
    session: Session, sequence_id: int, version: int | None
) -> dict[tuple[str, str], int]:
    """Return distinct enrollments per (step, kind) in the step log."""
    log = NurtureStepLog
    query = select(log.step_id, log.kind, func.count(func.distinct(log.enrollment_id))).where(
        log.kind.in_(("entered", "converted", "exited", "completed")),
        log.step_id.is_not(None),
        *_scope(log, sequence_id, version),
    )
    rows = session.execute(query.group_by(log.step_id, log.kind)).all()
    return {(str(step), str(kind)): int(n) for step, kind, n in rows}


def _send_counts(
    session: Session, sequence_id: int, version: int | None
) -> dict[str, tuple[int, int]]:
    """Return (sent, clicked) distinct enrollments per email step."""
    send = NurtureSend
    query = select(
        send.step_id,
        func.count(func.distinct(case((send.status == SENT, send.enrollment_id)))),
        func.count(func.distinct(case((send.clicked_at.is_not(None), send.enrollment_id)))),
    ).where(*_scope(send, sequence_id, version))
    rows = session.execute(query.group_by(send.step_id)).all()
    return {str(step): (int(sent), int(clicked)) for step, sent, clicked in rows}


def _enrollment_counts(session: Session, sequence_id: int, version: int | None) -> dict[str, int]:
    query = select(Enrollment.status, func.count()).where(*_scope(Enrollment, sequence_id, version))
    rows = session.execute(query.group_by(Enrollment.status)).all()
    return {str(status): int(n) for status, n in rows}


def _waiting(session: Session, sequence_id: int, version: int | None) -> dict[str, int]:
    query = select(Enrollment.step_id, func.count()).where(
        Enrollment.status == ACTIVE_ENROLLMENT, *_scope(Enrollment, sequence_id, version)
    )
    rows = session.execute(query.group_by(Enrollment.step_id)).all()
    return {str(step): int(n) for step, n in rows if step is not None}


def funnel(session: Session, *, key: str, version: int | None = None) -> Funnel:
    """Return the per-step funnel of a sequence's version (every version when None)."""
    sequence = get_sequence(session, key=key)
    steps = _steps_of(session, sequence, version)
    logged = _log_counts(session, sequence.id, version)
    sends = _send_counts(session, sequence.id, version)
    waiting = _waiting(session, sequence.id, version)
    rows = tuple(
        StepFunnel(
            step_id=step.id,
            kind=_kind(step),
            template=step.template if isinstance(step, EmailStep) else None,
            goes_to=successors(step),
            entered=logged.get((step.id, "entered"), 0),
            sent=sends.get(step.id, (0, 0))[0],
            clicked=sends.get(step.id, (0, 0))[1],
            converted=logged.get((step.id, CONVERTED), 0),
            exited=logged.get((step.id, "exited"), 0),
            completed=logged.get((step.id, "completed"), 0),
            waiting=waiting.get(step.id, 0),
        )
        for step in steps
    )
    statuses = _enrollment_counts(session, sequence.id, version)
    return Funnel(
        key=key,
        version=version,
        enrolled=sum(statuses.values()),
        active=statuses.get(ACTIVE_ENROLLMENT, 0),
        converted=statuses.get(CONVERTED, 0),
        exited=statuses.get("exited", 0),
        completed=statuses.get("completed", 0),
        steps=rows,
    )


def _arm_counts(
    session: Session, sequence_id: int, version: int | None, step_id: str
) -> dict[str, tuple[int, int, int]]:
    """Return (enrolled, clicked, converted) per variant drawn at a split step."""
    drawn = Enrollment.variants[step_id].as_string()
    split_at = (
        select(NurtureStepLog.enrollment_id, func.min(NurtureStepLog.at).label("at"))
        .where(NurtureStepLog.step_id == step_id, NurtureStepLog.kind == "entered")
        .group_by(NurtureStepLog.enrollment_id)
        .subquery()
    )
    clicked = (
        select(NurtureSend.id)
        .where(
            NurtureSend.enrollment_id == Enrollment.id,
            NurtureSend.clicked_at.is_not(None),
            NurtureSend.created_at >= func.coalesce(split_at.c.at, Enrollment.entered_at),
        )
        .exists()
    )
    query = (
        select(
            drawn,
            func.count(),
            func.sum(case((clicked, 1), else_=0)),
            func.sum(case((Enrollment.status == CONVERTED, 1), else_=0)),
        )
        .select_from(Enrollment)
        .outerjoin(split_at, and_(split_at.c.enrollment_id == Enrollment.id))
        .where(drawn.is_not(None), *_scope(Enrollment, sequence_id, version))
    )
    rows = session.execute(query.group_by(drawn)).all()
    return {str(v): (int(n), int(c or 0), int(w or 0)) for v, n, c, w in rows}


def _split_result(
    session: Session, sequence_id: int, version: int | None, step: SplitStep
) -> SplitResult:
    counts = _arm_counts(session, sequence_id, version, step.id)
    arms = []
    for v in step.variants:
        enrolled, clicks, conversions = counts.get(v.name, (0, 0, 0))
        arms.append(
            ArmResult(
                variant=v.name,
                weight=v.weight,
                goto=v.goto,
                enrolled=enrolled,
                clicked=wilson(clicks, enrolled),
                converted=wilson(conversions, enrolled),
            )
        )
    converting = [Arm(a.variant, a.converted.count, a.enrolled) for a in arms]
    clicking = [Arm(a.variant, a.clicked.count, a.enrolled) for a in arms]
    click_p = p_value(clicking)[1] if all(a.enrolled for a in arms) else None
    return SplitResult(
        step_id=step.id,
        version=version,
        arms=tuple(arms),
        metric=CONVERTED,
        click_p_value=click_p,
        verdict=verdict(converting),
    )


def ab_results(session: Session, *, key: str, version: int | None = None) -> list[SplitResult]:
    """Return every split step's arms and verdict (over every version when `version` is None)."""
    sequence = get_sequence(session, key=key)
    splits = [s for s in _steps_of(session, sequence, version) if isinstance(s, SplitStep)]
    return [_split_result(session, sequence.id, version, s) for s in splits]


def _per_sequence(session: Session, query: Select[int, int]) -> dict[int, int]:
    return {int(sid): int(n) for sid, n in session.execute(query).all()}


def overview(session: Session, *, now: datetime) -> list[SequenceOverview]:
    """Return every sequence with its enrollments, conversions and last week's sends."""
    e, s = Enrollment, NurtureSend
    enrolled = _per_sequence(session, select(e.sequence_id, func.count()).group_by(e.sequence_id))
    active = _per_sequence(
        session,
        select(e.sequence_id, func.count())
        .where(e.status == ACTIVE_ENROLLMENT)
        .group_by(e.sequence_id),
    )
    converted = _per_sequence(
        session,
        select(e.sequence_id, func.count()).where(e.status == CONVERTED).group_by(e.sequence_id),
    )
    sent = _per_sequence(
        session,
        select(s.sequence_id, func.count())
        .where(s.status == SENT, s.sent_at >= now - timedelta(days=7))
        .group_by(s.sequence_id),
    )
    versions = _per_sequence(
        session,
        select(NurtureSequenceVersion.sequence_id, func.count()).group_by(
            NurtureSequenceVersion.sequence_id
        ),
    )
    return [
        _overview_of(session, q, enrolled, active, converted, sent, versions)
        for q in repository.list_sequences(session)
    ]


def _overview_of(
    session: Session, sequence: NurtureSequence, *counts: dict[int, int]
) -> SequenceOverview:
    enrolled, active, converted, sent, versions = (c.get(sequence.id, 0) for c in counts)
    latest = repository.find_version(
        session, sequence_id=sequence.id, version=sequence.latest_version
    )
    steps = len(latest.definition.get("steps", [])) if latest is not None else 0
    return SequenceOverview(
        key=sequence.key,
        name=sequence.name,
        active=sequence.active,
        latest_version=sequence.latest_version,
        versions=versions,
        steps=steps,
        enrolled=enrolled,
        active_enrollments=active,
        converted=converted,
        conversion_rate=converted / enrolled if enrolled else 0.0,
        sent_last_7_days=sent,
        updated_at=as_utc(sequence.updated_at),
    )
