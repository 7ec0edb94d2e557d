"""The due-step tick: claim a batch of due enrollments, run their steps, write it all at once.

Per batch, one transaction holds the claim, the outbox rows (`NurtureSend`, status pending), the
step log and every enrollment's advance. A worker killed mid-batch leaves none of it: the batch
is due again and the next tick runs it from the same positions, writing the same send keys
(enrollment, step, visit). `run_tick` is the only function here that commits; `run_batch` is
the service the tick (and tests) call inside a transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from leads.models import Base, as_utc
from leads.nurture_models import Enrollment, NurtureSend, NurtureSequenceVersion, NurtureStepLog
from nurture.claims import Claimed, claim_due
from nurture.config import NurtureConfig
from nurture.definition import Sequence
from nurture.fact_loader import events_read, load_facts, reads_bands, reads_routing
from nurture.facts import LeadFacts, Position
from nurture.interpreter import ACTIVE, EXITED, EmailToWrite, LogEntry, RunOutcome, run_steps
from nurture.sequence_file import sequence_of

_log = logging.getLogger("nurture.tick")
# An enrollment the engine failed on (a bug, not a lead's doing) is tried again this much later.
ERROR_RETRY = timedelta(hours=1)
Versions = dict[tuple[int, int], Sequence]
NOT_STORED = frozenset({"sent"})


@dataclass(frozen=True)
class BatchResult:
    """What one batch did."""

    claimed: int
    steps: int
    send_ids: tuple[int, ...]
    ended: int
    errors: int


@dataclass(frozen=True)
class TickResult:
    """What a whole tick did, over all its batches."""

    batches: int
    claimed: int
    steps: int
    send_ids: tuple[int, ...]
    ended: int
    errors: int


@dataclass
class _Writes:
    sends: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    advances: list[dict[str, Any]] = field(default_factory=list)
    ended: int = 0
    errors: int = 0
    steps: int = 0


def load_versions(session: Session, *, pairs: Iterable[tuple[int, int]], known: Versions) -> None:
    """Add the steps of each (sequence id, version) not yet in `known`."""
    for sequence_id, version in set(pairs) - set(known):
        row = session.scalars(
            select(NurtureSequenceVersion.definition).where(
                NurtureSequenceVersion.sequence_id == sequence_id,
                NurtureSequenceVersion.version == version,
            )
        ).first()
        if row is not None:
            known[(sequence_id, version)] = sequence_of(row)


def position_of(claimed: Claimed, *, first_step: str) -> Position:
    """Return where a claimed enrollment stands (steps_run 0: not started yet)."""
    return Position(
        enrollment_id=claimed.id,
        step_id=claimed.step_id or first_step,
        visit=claimed.visit,
        entered_at=claimed.entered_at,
        variants=claimed.variants,
        started=claimed.steps_run > 0,
        due_at=claimed.next_run_at,
    )


def run_batch(
    session: Session, *, config: NurtureConfig, now: datetime, size: int, versions: Versions
) -> BatchResult:
    """Claim up to `size` due enrollments, run them and write the results (no commit)."""
    claimed = claim_due(session, now=now, size=size)
    if not claimed:
        return BatchResult(claimed=0, steps=0, send_ids=(), ended=0, errors=0)
    load_versions(session, pairs=((c.sequence_id, c.version) for c in claimed), known=versions)
    in_batch = {versions[p] for c in claimed if (p := (c.sequence_id, c.version)) in versions}
    facts = load_facts(
        session,
        lead_ids=[c.lead_id for c in claimed],
        now=now,
        event_types=events_read(in_batch),
        default_timezone=config.default_timezone,
        bands=reads_bands(in_batch),
        routing=reads_routing(in_batch),
    )
    writes = _Writes()
    for enrollment in claimed:
        _run_one(enrollment, versions=versions, facts=facts, now=now, config=config, out=writes)
    send_ids = _write(session, writes)
    return BatchResult(
        claimed=len(claimed),
        steps=writes.steps,
        send_ids=send_ids,
        ended=writes.ended,
        errors=writes.errors,
    )


def _run_one(
    enrollment: Claimed,
    *,
    versions: Versions,
    facts: dict[int, LeadFacts],
    now: datetime,
    config: NurtureConfig,
    out: _Writes,
) -> None:
    sequence = versions.get((enrollment.sequence_id, enrollment.version))
    lead = facts.get(enrollment.lead_id)
    if sequence is None or lead is None:
        missing = "its sequence version" if sequence is None else "its lead"
        _end_broken(enrollment, f"{missing} no longer exists", now=now, out=out)
        return
    try:
        position = position_of(enrollment, first_step=sequence.first)
        outcome = run_steps(sequence, position, lead, now=now, config=config)
    except Exception as exc:  # a bug must not stop the batch: this one waits, the rest run
        _log.exception("nurture enrollment %d failed at %s", enrollment.id, enrollment.step_id)
        _failed(enrollment, f"{type(exc).__name__}: {exc}", now=now, out=out)
        return
    if outcome.facts is not None:
        facts[enrollment.lead_id] = outcome.facts  # its emails count toward the lead's cap
    _collect(enrollment, outcome, email=lead.email, now=now, out=out)


def _collect(
    enrollment: Claimed, outcome: RunOutcome, *, email: str | None, now: datetime, out: _Writes
) -> None:
    out.sends.extend(_send_row(enrollment, sent, email=email, now=now) for sent in outcome.emails)
    # "sent" is logged by delivery when the mail is really out (nurture.sending); here the
    # outbox row itself records that the email was written.
    out.logs.extend(_log_row(enrollment, e) for e in outcome.log if e.kind not in NOT_STORED)
    next_run = outcome.next_run_at
    if outcome.status == ACTIVE and (next_run is None or next_run <= now):
        next_run = now + timedelta(minutes=1)  # never due again in the same tick
    out.advances.append(
        {
            "enrollment": enrollment.id,
            "status": outcome.status,
            "step_id": outcome.step_id,
            "visit": outcome.visit,
            "variants": dict(outcome.variants),
            "next_run_at": next_run,
            "exit_reason": outcome.exit_reason,
            "finished_at": None if outcome.status == ACTIVE else now,
            "steps_run": enrollment.steps_run + max(outcome.steps_run, 0),
            "last_error": outcome.error,
        }
    )
    out.steps += outcome.steps_run
    out.ended += outcome.status != ACTIVE
    out.errors += outcome.error is not None


def _send_row(
    enrollment: Claimed, sent: EmailToWrite, *, email: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "enrollment_id": enrollment.id,
        "step_id": sent.step_id,
        "visit": sent.visit,
        "lead_id": enrollment.lead_id,
        "sequence_id": enrollment.sequence_id,
        "version": enrollment.version,
        "template": sent.template,
        "variant": sent.variant,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "to_email": email,
        "created_at": now,
    }


def _log_row(enrollment: Claimed, entry: LogEntry) -> dict[str, Any]:
    return {
        "enrollment_id": enrollment.id,
        "sequence_id": enrollment.sequence_id,
        "version": enrollment.version,
        "step_id": entry.step_id,
        "variant": entry.variant,
        "kind": entry.kind,
        "detail": entry.detail,
        "at": entry.at,
    }


def _end_broken(enrollment: Claimed, problem: str, *, now: datetime, out: _Writes) -> None:
    outcome = RunOutcome(
        status=EXITED,
        step_id=enrollment.step_id,
        visit=enrollment.visit,
        variants=enrollment.variants,
        next_run_at=None,
        exit_reason="error",
        log=(LogEntry(enrollment.step_id, "error", now, detail=problem),),
        error=problem,
    )
    _collect(enrollment, outcome, email=None, now=now, out=out)


def _failed(enrollment: Claimed, problem: str, *, now: datetime, out: _Writes) -> None:
    outcome = RunOutcome(
        status=ACTIVE,
        step_id=enrollment.step_id,
        visit=enrollment.visit,
        variants=enrollment.variants,
        next_run_at=now + ERROR_RETRY,
        log=(LogEntry(enrollment.step_id, "error", now, detail=problem[:300]),),
        error=problem,
    )
    _collect(enrollment, outcome, email=None, now=now, out=out)


def _write(session: Session, writes: _Writes) -> tuple[int, ...]:
    # Core inserts on the tables: one multi-row INSERT per few hundred rows (the ORM's bulk path
    # sends one statement per row when it has to return the new ids).
    send_ids: tuple[int, ...] = ()
    if writes.sends:
        sends = Base.metadata.tables[NurtureSend.__tablename__]
        inserted = session.execute(insert(sends).returning(sends.c.id), writes.sends)
        send_ids = tuple(sorted(inserted.scalars()))
    if writes.logs:
        session.execute(insert(Base.metadata.tables[NurtureStepLog.__tablename__]), writes.logs)
    if writes.advances:
        session.execute(_ADVANCE, writes.advances)
    return send_ids


_ENROLLMENTS = Base.metadata.tables[Enrollment.__tablename__]
_ADVANCED = ("status", "step_id", "visit", "variants", "next_run_at", "exit_reason",
             "finished_at", "steps_run", "last_error")  # fmt: skip
# One UPDATE by primary key, executed for every row of the batch at once.
_ADVANCE = (
    update(_ENROLLMENTS)
    .where(_ENROLLMENTS.c.id == bindparam("enrollment"))
    .values({name: bindparam(name) for name in _ADVANCED})
)


def run_tick(
    session_factory: sessionmaker[Session],
    *,
    config: NurtureConfig,
    now: datetime,
    limit: int | None = None,
    after_commit: Callable[[tuple[int, ...]], None] | None = None,
) -> TickResult:
    """Run every enrollment due at `now` (at most `limit`), one committed batch at a time."""
    now = as_utc(now)
    versions: Versions = {}
    batches: list[BatchResult] = []
    claimed = 0
    while limit is None or claimed < limit:
        size = config.batch_size if limit is None else min(config.batch_size, limit - claimed)
        with session_factory() as session, session.begin():
            batch = run_batch(session, config=config, now=now, size=size, versions=versions)
        if batch.claimed == 0:
            break
        batches.append(batch)
        claimed += batch.claimed
        if after_commit is not None and batch.send_ids:
            after_commit(batch.send_ids)
        if batch.claimed < size:
            break
    return TickResult(
        batches=len(batches),
        claimed=claimed,
        steps=sum(b.steps for b in batches),
        send_ids=tuple(i for b in batches for i in b.send_ids),
        ended=sum(b.ended for b in batches),
        errors=sum(b.errors for b in batches),
    )
