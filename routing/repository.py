"""Routing's SQL: the facts a decision needs, assignments, the queue and decisions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from leads.models import (
    LIVE_ASSIGNMENT_STATES,
    Account,
    Assignment,
    Event,
    Lead,
    QueuedLead,
    Rep,
    RoutingDecision,
    as_utc,
)
from leads.reps import calendar_of
from routing.assignment import RepState


def live_assignment(session: Session, *, lead_id: int) -> Assignment | None:
    """Return the lead's offered or accepted assignment."""
    query = select(Assignment).where(
        Assignment.lead_id == lead_id, Assignment.state.in_(LIVE_ASSIGNMENT_STATES)
    )
    return session.scalars(query).first()


def last_ended_at(session: Session, *, lead_id: int) -> datetime | None:
    """Return when the lead's latest closed assignment ended."""
    # A merge's closing (disposition "merged") is no rep's verdict: it starts no cool-down.
    ended = session.scalar(
        select(func.max(Assignment.ended_at)).where(
            Assignment.lead_id == lead_id,
            Assignment.state == "closed",
            or_(Assignment.disposition.is_(None), Assignment.disposition != "merged"),
        )
    )
    return as_utc(ended) if ended is not None else None


def asked_for_human_since(session: Session, *, lead_id: int, since: datetime | None) -> bool:
    """Return whether the lead asked for a person (after `since`, when given)."""
    query = select(Event.id).where(Event.lead_id == lead_id, Event.type == "handoff_requested")
    if since is not None:
        query = query.where(Event.occurred_at > since)
    return session.scalar(query.limit(1)) is not None


def is_customer(session: Session, *, lead: Lead) -> bool:
    """Return whether the lead or anyone at its account has bought."""
    people = select(Lead.id).where(Lead.id == lead.id)
    if lead.account_id is not None:
        people = select(Lead.id).where(Lead.account_id == lead.account_id)
    query = select(Event.id).where(Event.type == "purchase", Event.lead_id.in_(people))
    return session.scalar(query.limit(1)) is not None


def bought(session: Session, *, lead_id: int) -> bool:
    """Return whether the lead itself has bought."""
    query = select(Event.id).where(Event.type == "purchase", Event.lead_id == lead_id)
    return session.scalar(query.limit(1)) is not None


def account_owner(session: Session, *, lead: Lead) -> int | None:
    """Return the rep owning the lead's account."""
    if lead.account_id is None:
        return None
    account = session.get(Account, lead.account_id)
    return account.owner_rep_id if account is not None else None


def claim_account(session: Session, *, lead: Lead, rep_id: int) -> bool:
    """Make the rep the owner of the lead's account if it has none; return whether it did."""
    if lead.account_id is None:
        return False
    result = session.execute(
        update(Account)
        .where(Account.id == lead.account_id, Account.owner_rep_id.is_(None))
        .values(owner_rep_id=rep_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def open_leads_by_rep(session: Session) -> dict[int, int]:
    """Return each rep's number of offered or accepted leads."""
    query = (
        select(Assignment.rep_id, func.count())
        .where(Assignment.state.in_(LIVE_ASSIGNMENT_STATES))
        .group_by(Assignment.rep_id)
    )
    return {int(rep_id): int(n) for rep_id, n in session.execute(query)}


def rep_states(session: Session) -> list[RepState]:
    """Return every rep as assignment sees them, with their open-lead counts."""
    open_leads = open_leads_by_rep(session)
    return [
        RepState(
            rep_id=rep.id,
            segments=tuple(rep.segments or ([rep.team] if rep.team else [])),
            territory=rep.territory,
            languages=tuple(rep.languages or ()),
            calendar=calendar_of(rep),
            capacity=rep.capacity,
            open_leads=open_leads.get(rep.id, 0),
            available=rep.available,
            active=rep.active,
            credit=rep.rr_credit,
        )
        for rep in session.scalars(select(Rep).order_by(Rep.id))
    ]


def store_credits(session: Session, *, credits: dict[int, float]) -> None:
    """Keep the round robin's credits."""
    for rep_id, credit in credits.items():
        session.execute(update(Rep).where(Rep.id == rep_id).values(rr_credit=credit))


def missed_rep_ids(session: Session, *, lead_id: int, since: datetime | None) -> list[int]:
    """Return reps who let this lead's SLA lapse (in the current round, after `since`)."""
    query = select(Assignment.rep_id).where(
        Assignment.lead_id == lead_id, Assignment.state == "missed"
    )
    if since is not None:
        query = query.where(Assignment.ended_at > since)
    return sorted({int(r) for r in session.scalars(query)})


def due_offers(session: Session, *, now: datetime, limit: int) -> list[Assignment]:
    """Return offered assignments whose SLA has lapsed, oldest due first."""
    query = (
        select(Assignment)
        .where(Assignment.state == "offered", Assignment.sla_due_at <= now)
        .order_by(Assignment.sla_due_at, Assignment.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def offers_of(session: Session, *, rep_id: int) -> list[Assignment]:
    """Return the offers a rep has not accepted yet, oldest first."""
    query = (
        select(Assignment)
        .where(Assignment.rep_id == rep_id, Assignment.state == "offered")
        .order_by(Assignment.created_at, Assignment.id)
    )
    return list(session.scalars(query))


def end_assignment(
    session: Session, *, assignment_id: int, from_states: Sequence[str], to_state: str, at: datetime
) -> bool:
    """Move an assignment on if it is still in one of `from_states`; return whether this won.

    A compare-and-set: of two workers ending the same assignment, exactly one sees a row change.
    """
    result = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.state.in_(from_states))
        .values(state=to_state, ended_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def queued(session: Session, *, lead_id: int) -> QueuedLead | None:
    """Return the lead's place in the queue."""
    return session.scalars(select(QueuedLead).where(QueuedLead.lead_id == lead_id)).first()


def queue_pages(session: Session, *, size: int) -> Iterator[list[QueuedLead]]:
    """Yield the queue oldest-first, a page at a time (keyset on queued_at, id)."""
    after: tuple[datetime, int] | None = None
    while True:
        query = select(QueuedLead).order_by(QueuedLead.queued_at, QueuedLead.id).limit(size)
        if after is not None:
            query = query.where(tuple_(QueuedLead.queued_at, QueuedLead.id) > after)
        page = list(session.scalars(query))
        if not page:
            return
        yield page
        after = (page[-1].queued_at, page[-1].id)


def take_from_queue(session: Session, *, queued_id: int) -> bool:
    """Remove a queued lead; return whether this call removed it (another drain may have)."""
    result = session.execute(delete(QueuedLead).where(QueuedLead.id == queued_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def latest_decision(session: Session, *, lead_id: int) -> RoutingDecision | None:
    """Return the lead's newest routing decision."""
    query = (
        select(RoutingDecision)
        .where(RoutingDecision.lead_id == lead_id)
        .order_by(RoutingDecision.decided_at.desc(), RoutingDecision.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
