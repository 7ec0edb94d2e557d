"""Repository of sales reps: upsert by email, look-ups, and the rep a lead belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.calendar import CalendarSettings, parse_hhmm
from leads.errors import ClinchError
from leads.identity import current_lead
from leads.models import LIVE_ASSIGNMENT_STATES, Account, Assignment, Meeting, Rep


class RepNotFound(ClinchError):
    """No rep has this id or email."""


@dataclass(frozen=True)
class UpsertResult:
    """How many reps a load created, changed, and left as they were."""

    created: int
    updated: int
    unchanged: int


def calendar_of(rep: Rep) -> CalendarSettings:
    """Return a rep's calendar settings."""
    return CalendarSettings(
        timezone=rep.timezone,
        working_days=tuple(rep.working_days),
        work_start=parse_hhmm(rep.work_start),
        work_end=parse_hhmm(rep.work_end),
        meeting_minutes=rep.meeting_minutes,
        buffer_minutes=rep.buffer_minutes,
        notice_minutes=rep.notice_minutes,
        horizon_days=rep.horizon_days,
    )


def get_rep(session: Session, *, rep_id: int) -> Rep:
    """Return a rep by id."""
    rep = session.get(Rep, rep_id)
    if rep is None:
        raise RepNotFound(f"no rep with id {rep_id}: see `clinch reps list`")
    return rep


def find_rep_by_email(session: Session, *, email: str) -> Rep:
    """Return the rep with this email (any case)."""
    rep = session.scalars(select(Rep).where(Rep.email == email.strip().lower())).one_or_none()
    if rep is None:
        raise RepNotFound(f"no rep with email {email!r}: load reps with `clinch reps load FILE`")
    return rep


def list_reps(session: Session) -> list[Rep]:
    """Return every rep, by id."""
    return list(session.scalars(select(Rep).order_by(Rep.id)))


def active_reps(session: Session) -> list[Rep]:
    """Return the active reps, by id."""
    return list(session.scalars(select(Rep).where(Rep.active.is_(True)).order_by(Rep.id)))


def upsert_reps(session: Session, *, reps: Sequence[dict[str, Any]]) -> UpsertResult:
    """Create or update reps by email (values already validated); return the counts."""
    created = updated = unchanged = 0
    for values in reps:
        email = str(values["email"]).lower()
        row = session.scalars(select(Rep).where(Rep.email == email)).one_or_none()
        if row is None:
            session.add(Rep(**{**values, "email": email}))
            created += 1
            continue
        changed = {k: v for k, v in values.items() if k != "email" and getattr(row, k) != v}
        for key, value in changed.items():
            setattr(row, key, value)
        updated, unchanged = (updated + 1, unchanged) if changed else (updated, unchanged + 1)
    session.flush()
    return UpsertResult(created, updated, unchanged)


def _upcoming_meetings(session: Session, *, after: datetime) -> dict[int, int]:
    query = (
        select(Meeting.rep_id, func.count())
        .where(Meeting.starts_at >= after, Meeting.status == "booked")
        .group_by(Meeting.rep_id)
    )
    return {int(rep_id): int(n) for rep_id, n in session.execute(query)}


def owning_rep(session: Session, *, lead_id: int | None) -> Rep | None:
    """Return the active rep a lead belongs to: its live assignment, else its account's owner."""
    lead = current_lead(session, lead_id=lead_id) if lead_id is not None else None
    if lead is None:
        return None
    assignment = session.scalars(
        select(Assignment)
        .where(Assignment.lead_id == lead.id, Assignment.state.in_(LIVE_ASSIGNMENT_STATES))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
        .limit(1)
    ).one_or_none()
    candidates = [assignment.rep_id] if assignment is not None else []
    if lead.account_id is not None:
        account = session.get(Account, lead.account_id)
        if account is not None and account.owner_rep_id is not None:
            candidates.append(account.owner_rep_id)
    for rep_id in candidates:
        rep = session.get(Rep, rep_id)
        if rep is not None and rep.active:
            return rep
    return None


def assigned_rep(session: Session, *, lead_id: int | None, now: datetime) -> Rep | None:
    """Return the lead's rep, or (none) the active rep with the fewest upcoming meetings."""
    owner = owning_rep(session, lead_id=lead_id)
    if owner is not None:
        return owner
    reps = active_reps(session)
    if not reps:
        return None
    load = _upcoming_meetings(session, after=now)
    return min(reps, key=lambda rep: (load.get(rep.id, 0), rep.id))
