"""What reps and managers read of routing: their leads, the team queue, the team.

Read-only: nothing here writes. Every function returns frozen dataclasses, never ORM rows;
a lead's history and its state after an action are in `routing.history`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.conversations import transcript
from leads.models import (
    LIVE_ASSIGNMENT_STATES,
    Assignment,
    Conversation,
    Lead,
    QueuedLead,
    Rep,
    as_utc,
)
from leads.profiles import latest_score
from leads.reps import get_rep
from routing import repository as repo
from routing.notices import EXCERPT_CHARS, EXCERPT_TURNS

SlaStatus = Literal["pending", "overdue", "met", "late", "none"]
QUEUE_LIMIT = 200
TEAM_LEADS_LIMIT = 500
MISSES_DAYS = 7
MISSES_LIMIT = 50


@dataclass(frozen=True)
class Turn:
    """One turn of a chat excerpt."""

    role: str
    text: str
    at: datetime


@dataclass(frozen=True)
class ChatExcerpt:
    """The lead's latest chat: its last turns and whether a rep can (or does) hold it."""

    session_id: str
    turns: tuple[Turn, ...]
    handoff_requested_at: datetime | None
    held_by_rep_id: int | None
    # The prospect asked for a person and no rep holds the chat: someone can take it over.
    handoff_open: bool


@dataclass(frozen=True)
class Sla:
    """Where an assignment stands against its SLA."""

    status: SlaStatus
    due_at: datetime | None
    seconds_left: float | None


@dataclass(frozen=True)
class LiveLead:
    """A lead a rep holds now, with why it is theirs and how urgent it is."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    status: str
    assignment_id: int
    rep_id: int
    rep_name: str
    state: str
    attempt: int
    offered_at: datetime
    accepted_at: datetime | None
    sla: Sla
    probability: float
    band: str
    reasons: tuple[str, ...]
    score_reasons: tuple[str, ...]
    chat: ChatExcerpt | None


@dataclass(frozen=True)
class QueuedView:
    """A lead waiting for a rep with room, and why it waits."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    segment: str
    band: str
    probability: float
    reasons: tuple[str, ...]
    why: str
    queued_at: datetime
    attempt: int


@dataclass(frozen=True)
class RepSummary:
    """A rep of a team as their manager sees them."""

    rep_id: int
    name: str
    email: str
    available: bool
    active: bool
    open_leads: int
    capacity: int
    segments: tuple[str, ...]


@dataclass(frozen=True)
class MissView:
    """An offer whose SLA lapsed before its rep accepted it."""

    assignment_id: int
    lead_id: int
    rep_id: int
    rep_name: str
    due_at: datetime | None
    missed_at: datetime | None


@dataclass(frozen=True)
class TeamView:
    """A manager's team: its reps, their live leads, the queue and recent SLA misses."""

    team: str | None
    reps: tuple[RepSummary, ...]
    leads: tuple[LiveLead, ...]
    queue: tuple[QueuedView, ...]
    misses: tuple[MissView, ...]


def opt_utc(value: datetime | None) -> datetime | None:
    """Return a stored time in UTC, or None."""
    return as_utc(value) if value is not None else None


def sla_of(assignment: Assignment, *, now: datetime) -> Sla:
    """Return where an assignment stands against its SLA at `now`."""
    due = opt_utc(assignment.sla_due_at)
    if due is None:
        return Sla("none", None, None)
    if assignment.state == "offered":
        left = (due - now).total_seconds()
        return Sla("pending" if left > 0 else "overdue", due, round(left, 1))
    accepted = opt_utc(assignment.accepted_at)
    if accepted is not None:
        return Sla("met" if accepted <= due else "late", due, None)
    return Sla("late" if assignment.state == "missed" else "none", due, None)


def chat_excerpt(session: Session, *, lead_id: int) -> ChatExcerpt | None:
    """Return the lead's latest chat with its last turns."""
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.lead_id == lead_id)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()
    if conversation is None:
        return None
    turns = transcript(session, conversation=conversation)[-EXCERPT_TURNS:]
    asked = opt_utc(conversation.handoff_requested_at)
    return ChatExcerpt(
        session_id=conversation.session_id,
        turns=tuple(Turn(t.role, t.text[:EXCERPT_CHARS], t.created_at) for t in turns),
        handoff_requested_at=asked,
        held_by_rep_id=conversation.rep_id,
        handoff_open=asked is not None and conversation.rep_id is None,
    )


def _live_lead(
    session: Session, *, assignment: Assignment, rep: Rep, now: datetime, with_chat: bool
) -> LiveLead:
    lead = session.get(Lead, assignment.lead_id)
    assert lead is not None  # an assignment's foreign key
    score = latest_score(session, lead_id=lead.id)
    return LiveLead(
        lead_id=lead.id,
        email=lead.email,
        name=lead.name,
        company=lead.company,
        status=lead.status,
        assignment_id=assignment.id,
        rep_id=rep.id,
        rep_name=rep.name,
        state=assignment.state,
        attempt=assignment.attempt,
        offered_at=as_utc(assignment.created_at),
        accepted_at=opt_utc(assignment.accepted_at),
        sla=sla_of(assignment, now=now),
        probability=score.probability if score else (assignment.probability or 0.0),
        band=score.band if score else (assignment.band or "cold"),
        reasons=tuple(assignment.reasons or ()),
        score_reasons=tuple(
            str(r["text"]) for r in (score.reasons if score else []) if r.get("text")
        ),
        chat=chat_excerpt(session, lead_id=lead.id) if with_chat else None,
    )


def _live_assignments(session: Session, *, rep_ids: list[int]) -> list[Assignment]:
    query = (
        select(Assignment)
        .where(Assignment.rep_id.in_(rep_ids), Assignment.state.in_(LIVE_ASSIGNMENT_STATES))
        .order_by(Assignment.id)
        .limit(TEAM_LEADS_LIMIT)
    )
    return list(session.scalars(query))


def rep_leads(session: Session, *, rep_id: int, now: datetime) -> list[LiveLead]:
    """Return the leads a rep holds now, best score first, each with its latest chat."""
    rep = get_rep(session, rep_id=rep_id)
    leads = [
        _live_lead(session, assignment=a, rep=rep, now=now, with_chat=True)
        for a in _live_assignments(session, rep_ids=[rep.id])
    ]
    return sorted(leads, key=lambda lead: (-lead.probability, lead.offered_at, lead.lead_id))


def rep_segments(rep: Rep) -> tuple[str, ...]:
    """Return the segments a rep sells to (their team's name when none is listed, as routing)."""
    return tuple(rep.segments or ([rep.team] if rep.team else []))


def queue_for(session: Session, *, segments: tuple[str, ...]) -> list[QueuedView]:
    """Return the queued leads of these segments, oldest first."""
    if not segments:
        return []
    query = (
        select(QueuedLead, Lead)
        .join(Lead, Lead.id == QueuedLead.lead_id)
        .where(QueuedLead.segment.in_(segments))
        .order_by(QueuedLead.queued_at, QueuedLead.id)
        .limit(QUEUE_LIMIT)
    )
    return [
        QueuedView(
            lead_id=row.lead_id,
            email=lead.email,
            name=lead.name,
            company=lead.company,
            segment=row.segment,
            band=row.band,
            probability=row.probability,
            reasons=tuple(row.reasons or ()),
            why=row.why,
            queued_at=as_utc(row.queued_at),
            attempt=row.attempt,
        )
        for row, lead in session.execute(query).tuples()
    ]


def rep_queue(session: Session, *, rep_id: int) -> list[QueuedView]:
    """Return the queued leads of the segments a rep sells to, oldest first."""
    return queue_for(session, segments=rep_segments(get_rep(session, rep_id=rep_id)))


def team_members(session: Session, *, manager: Rep) -> list[Rep]:
    """Return the reps of a manager's team (the manager too), by id."""
    same_team = Rep.team.is_(None) if manager.team is None else Rep.team == manager.team
    return list(session.scalars(select(Rep).where(same_team).order_by(Rep.id)))


def _misses(session: Session, *, reps: dict[int, Rep], now: datetime) -> list[MissView]:
    query = (
        select(Assignment)
        .where(
            Assignment.rep_id.in_(list(reps)),
            Assignment.state == "missed",
            Assignment.ended_at >= now - timedelta(days=MISSES_DAYS),
        )
        .order_by(Assignment.ended_at.desc(), Assignment.id.desc())
        .limit(MISSES_LIMIT)
    )
    return [
        MissView(
            assignment_id=a.id,
            lead_id=a.lead_id,
            rep_id=a.rep_id,
            rep_name=reps[a.rep_id].name,
            due_at=opt_utc(a.sla_due_at),
            missed_at=opt_utc(a.ended_at),
        )
        for a in session.scalars(query)
    ]


def team_view(session: Session, *, manager: Rep, now: datetime) -> TeamView:
    """Return a manager's team: reps, live leads (most urgent first), queue, recent misses."""
    members = team_members(session, manager=manager)
    by_id = {rep.id: rep for rep in members}
    open_leads = repo.open_leads_by_rep(session)
    leads = [
        _live_lead(session, assignment=a, rep=by_id[a.rep_id], now=now, with_chat=False)
        for a in _live_assignments(session, rep_ids=list(by_id))
    ]
    leads.sort(key=lambda x: (x.state != "offered", x.sla.due_at or now, x.lead_id))
    segments = sorted({s for rep in members for s in rep_segments(rep)})
    return TeamView(
        team=manager.team,
        reps=tuple(
            RepSummary(
                rep_id=rep.id,
                name=rep.name,
                email=rep.email,
                available=rep.available,
                active=rep.active,
                open_leads=open_leads.get(rep.id, 0),
                capacity=rep.capacity,
                segments=rep_segments(rep),
            )
            for rep in members
        ),
        leads=tuple(leads),
        queue=tuple(queue_for(session, segments=tuple(segments))),
        misses=tuple(_misses(session, reps=by_id, now=now)),
    )
