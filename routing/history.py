"""A lead's routing as people read it: where it is after an action, and its whole history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.audit import entries_for
from leads.errors import LeadNotFound
from leads.identity import current_lead
from leads.models import LIVE_ASSIGNMENT_STATES, Assignment, Lead, Rep, RoutingDecision, as_utc
from routing import repository as repo
from routing.errors import NotYourLead
from routing.rep_actions import Acting
from routing.views import Sla, opt_utc, sla_of, team_members


@dataclass(frozen=True)
class AssignmentState:
    """One assignment of a lead, current or past."""

    id: int
    rep_id: int
    rep_name: str
    state: str
    attempt: int
    offered_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    sla: Sla
    disposition: str | None
    disposition_reason: str | None


@dataclass(frozen=True)
class LeadState:
    """Where a lead is after an action: its live (else latest) assignment, or the queue."""

    lead_id: int
    status: str
    assignment: AssignmentState | None
    queued_why: str | None


@dataclass(frozen=True)
class DecisionView:
    """A routing decision and why the policy made it."""

    at: datetime
    action: str
    segment: str | None
    band: str | None
    probability: float | None
    sequence: str | None
    reasons: tuple[str, ...]
    rules_version: str


@dataclass(frozen=True)
class HistoryEntry:
    """One audited step of a lead's routing: who or what did it, and why."""

    at: datetime
    actor: str
    action: str
    why: tuple[str, ...]
    detail: dict[str, Any]


@dataclass(frozen=True)
class RoutingHistory:
    """A lead's routing, oldest first: decisions, every audited step, every assignment."""

    lead_id: int
    status: str
    decisions: tuple[DecisionView, ...]
    entries: tuple[HistoryEntry, ...]
    assignments: tuple[AssignmentState, ...]


def _assignment_state(
    session: Session, assignment: Assignment, *, now: datetime
) -> AssignmentState:
    rep = session.get(Rep, assignment.rep_id)
    return AssignmentState(
        id=assignment.id,
        rep_id=assignment.rep_id,
        rep_name=rep.name if rep is not None else f"rep {assignment.rep_id}",
        state=assignment.state,
        attempt=assignment.attempt,
        offered_at=as_utc(assignment.created_at),
        accepted_at=opt_utc(assignment.accepted_at),
        ended_at=opt_utc(assignment.ended_at),
        sla=sla_of(assignment, now=now),
        disposition=assignment.disposition,
        disposition_reason=assignment.disposition_reason,
    )


def _lead(session: Session, lead_id: int) -> Lead:
    lead = current_lead(session, lead_id=lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id}")
    return lead


def _assignments_of(session: Session, *, lead_id: int) -> list[Assignment]:
    query = select(Assignment).where(Assignment.lead_id == lead_id)
    return list(session.scalars(query.order_by(Assignment.created_at, Assignment.id)))


def lead_state(session: Session, *, lead_id: int, now: datetime) -> LeadState:
    """Return where a lead is now: its live assignment (else its latest one) and its queue place."""
    lead = _lead(session, lead_id)
    live = repo.live_assignment(session, lead_id=lead.id)
    shown = live or next(reversed(_assignments_of(session, lead_id=lead.id)), None)
    queued = repo.queued(session, lead_id=lead.id)
    return LeadState(
        lead_id=lead.id,
        status=lead.status,
        assignment=_assignment_state(session, shown, now=now) if shown is not None else None,
        queued_why=queued.why if queued is not None else None,
    )


def _may_read(session: Session, *, who: Acting, assignments: list[Assignment]) -> bool:
    if who.admin:
        return True
    live = [a for a in assignments if a.state in LIVE_ASSIGNMENT_STATES]
    if who.rep_id is not None and any(a.rep_id == who.rep_id for a in live):
        return True
    reader = session.get(Rep, who.rep_id) if who.rep_id is not None else None
    if reader is None or not reader.is_manager:
        return False
    team = {rep.id for rep in team_members(session, manager=reader)}
    return any(a.rep_id in team for a in assignments)


def _why(detail: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("reason", "why"):
        if isinstance(detail.get(key), str) and detail[key]:
            found.append(detail[key])
    reasons = detail.get("reasons")
    if isinstance(reasons, list):
        found.extend(str(r) for r in reasons)
    return tuple(found)


def routing_history(
    session: Session, *, lead_id: int, who: Acting, now: datetime
) -> RoutingHistory:
    """Return a lead's routing history, to an admin, the rep holding it, or their team's manager."""
    lead = _lead(session, lead_id)
    assignments = _assignments_of(session, lead_id=lead.id)
    if not _may_read(session, who=who, assignments=assignments):
        raise NotYourLead(
            f"lead {lead.id} is not yours: its history is open to admins, the rep holding it "
            "and that rep's manager"
        )
    decisions = session.scalars(
        select(RoutingDecision)
        .where(RoutingDecision.lead_id == lead.id)
        .order_by(RoutingDecision.decided_at, RoutingDecision.id)
    )
    return RoutingHistory(
        lead_id=lead.id,
        status=lead.status,
        decisions=tuple(
            DecisionView(
                as_utc(d.decided_at),
                d.action,
                d.segment,
                d.band,
                d.probability,
                d.sequence,
                tuple(d.reasons or ()),
                d.rules_version,
            )
            for d in decisions
        ),
        entries=tuple(
            HistoryEntry(as_utc(e.at), e.actor, e.action, _why(e.detail or {}), dict(e.detail))
            for e in entries_for(session, subject_type="lead", subject_id=str(lead.id))
        ),
        assignments=tuple(_assignment_state(session, a, now=now) for a in assignments),
    )
