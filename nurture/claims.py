"""Claim due enrollments so that two ticks never run the same one.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`; each tick locks its own rows until it commits and
another tick passes over them. SQLite has one writer at a time: the claim first takes the write
lock (a no-op UPDATE, which makes pysqlite send BEGIN and SQLite take its RESERVED lock), so a
second tick waits on its own claim until the first commits, then sees the advanced rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from leads.models import as_utc
from leads.nurture_models import ACTIVE_ENROLLMENT, Enrollment


@dataclass(frozen=True)
class Claimed:
    """A due enrollment as the tick runs it."""

    id: int
    lead_id: int
    sequence_id: int
    version: int
    step_id: str | None
    visit: int
    variants: dict[str, str]
    entered_at: datetime
    next_run_at: datetime | None
    steps_run: int


def begin_writing(session: Session) -> None:
    """On SQLite, take the write lock now, before anything is read in this transaction."""
    # Reading first would pin a WAL snapshot that a later write may find stale; and without the
    # lock two processes could read the same due rows.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE nurture_enrollments SET id = id WHERE 1 = 0"))


def claim_due(session: Session, *, now: datetime, size: int) -> list[Claimed]:
    """Lock and return up to `size` active enrollments due at `now`, oldest due first."""
    begin_writing(session)
    query = (
        select(
            Enrollment.id,
            Enrollment.lead_id,
            Enrollment.sequence_id,
            Enrollment.version,
            Enrollment.step_id,
            Enrollment.visit,
            Enrollment.variants,
            Enrollment.entered_at,
            Enrollment.next_run_at,
            Enrollment.steps_run,
        )
        .where(Enrollment.status == ACTIVE_ENROLLMENT, Enrollment.next_run_at <= now)
        .order_by(Enrollment.next_run_at, Enrollment.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return [
        Claimed(
            id=row.id,
            lead_id=row.lead_id,
            sequence_id=row.sequence_id,
            version=row.version,
            step_id=row.step_id,
            visit=row.visit,
            variants=dict(row.variants or {}),
            entered_at=as_utc(row.entered_at),
            next_run_at=as_utc(row.next_run_at) if row.next_run_at else None,
            steps_run=row.steps_run,
        )
        for row in session.execute(query)
    ]
