"""Repository of booked meetings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leads.calendar import Busy
from leads.errors import ClinchError
from leads.models import Meeting, as_utc


class SlotTaken(ClinchError):
    """Another meeting already holds this rep's time."""


def busy_times(session: Session, *, rep_id: int, after: datetime) -> list[Busy]:
    """Return the rep's booked meetings that end after this moment."""
    rows = session.scalars(
        select(Meeting)
        .where(Meeting.rep_id == rep_id, Meeting.status == "booked", Meeting.ends_at > after)
        .order_by(Meeting.starts_at)
    )
    return [Busy(as_utc(m.starts_at), as_utc(m.ends_at)) for m in rows]


def add_meeting(
    session: Session,
    *,
    rep_id: int,
    starts_at: datetime,
    ends_at: datetime,
    lead_id: int | None,
    conversation_id: int | None,
) -> Meeting:
    """Store a booked meeting; raise SlotTaken if the rep's start time is already booked."""
    meeting = Meeting(
        rep_id=rep_id,
        starts_at=starts_at,
        ends_at=ends_at,
        lead_id=lead_id,
        conversation_id=conversation_id,
        status="booked",
    )
    session.add(meeting)
    try:
        session.flush()
    except IntegrityError as exc:
        # The unique (rep_id, starts_at) constraint: a racing booking won. The request's unit
        # of work rolls back; nothing of this one is kept.
        raise SlotTaken("that time was just booked by someone else: pick another slot") from exc
    return meeting


def meetings_of(session: Session, *, rep_id: int) -> list[Meeting]:
    """Return a rep's meetings, soonest first."""
    return list(
        session.scalars(select(Meeting).where(Meeting.rep_id == rep_id).order_by(Meeting.starts_at))
    )
