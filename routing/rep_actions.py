"""What a rep (or their manager) does with a lead: accept, re-assign, dispose, go on or off."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from leads import audit
from leads.errors import LeadNotFound
from leads.identity import current_lead
from leads.models import Assignment, Lead, Rep
from leads.reps import get_rep
from routing import repository as repo
from routing.assignment import Want
from routing.errors import InvalidDisposition, LeadNotAssigned, NotAManager, NotYourLead
from routing.policy import EnrollNurture
from routing.service import LoadedRules, Offer, Routed, drain_queue, place, record_decision

Outcome = Literal["qualified", "won", "lost", "nurture"]
OUTCOMES: tuple[Outcome, ...] = ("qualified", "won", "lost", "nurture")
REASON_MAX = 1000


@dataclass(frozen=True)
class Acting:
    """Who acts: a rep, and whether as their team's manager (or an admin, over everyone)."""

    rep_id: int | None
    admin: bool = False
    actor: str = "rep"


def _lead(session: Session, lead_id: int) -> Lead:
    lead = current_lead(session, lead_id=lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id}")
    return lead


def _may_act(session: Session, *, who: Acting, assignment: Assignment) -> None:
    if who.admin or who.rep_id == assignment.rep_id:
        return
    rep = session.get(Rep, who.rep_id) if who.rep_id is not None else None
    holder = session.get(Rep, assignment.rep_id)
    if rep is not None and rep.is_manager and holder is not None and rep.team == holder.team:
        return
    raise NotYourLead(
        f"lead {assignment.lead_id} is assigned to {holder.name if holder else 'another rep'}, "
        "not to you"
    )


def _live(session: Session, *, lead: Lead, who: Acting) -> Assignment:
    assignment = repo.live_assignment(session, lead_id=lead.id)
    if assignment is None:
        raise LeadNotAssigned(
            f"lead {lead.id} is not with a rep now (status {lead.status!r}): it was re-assigned "
            "after its SLA lapsed, closed, or never routed to a rep"
        )
    _may_act(session, who=who, assignment=assignment)
    return assignment


def accept(session: Session, *, lead_id: int, who: Acting, now: datetime) -> Assignment:
    """Accept an offered lead (again is harmless); the rep becomes the account's owner if none."""
    lead = _lead(session, lead_id)
    assignment = _live(session, lead=lead, who=who)
    if who.rep_id != assignment.rep_id and not who.admin:
        raise NotYourLead(f"only the rep offered lead {lead.id} can accept it")
    if assignment.state == "accepted":
        return assignment
    if not repo.end_assignment(
        session, assignment_id=assignment.id, from_states=("offered",), to_state="accepted", at=now
    ):
        raise LeadNotAssigned(f"lead {lead.id} was re-assigned a moment ago")
    session.refresh(assignment)
    assignment.ended_at = None
    assignment.accepted_at = now
    owned = repo.claim_account(session, lead=lead, rep_id=assignment.rep_id)
    audit.record(
        session,
        actor=who.actor,
        action="assignment.accepted",
        subject_type="lead",
        subject_id=str(lead.id),
        detail={"assignment_id": assignment.id, "rep_id": assignment.rep_id, "owns": owned},
        at=now,
    )
    return assignment


def reassign(
    session: Session,
    *,
    lead_id: int,
    who: Acting,
    to_rep_id: int | None,
    reason: str,
    rules: LoadedRules,
    now: datetime,
) -> Routed:
    """Hand a lead on: to a named rep, or to the next matching rep by round robin."""
    if not reason.strip() or len(reason) > REASON_MAX:
        raise InvalidDisposition(f"say why the lead is handed on (1 to {REASON_MAX} characters)")
    lead = _lead(session, lead_id)
    assignment = _live(session, lead=lead, who=who)
    target = get_rep(session, rep_id=to_rep_id) if to_rep_id is not None else None
    if target is not None and not target.active:
        raise InvalidDisposition(f"{target.name} is not an active rep")
    if target is not None and target.id == assignment.rep_id:
        raise InvalidDisposition(f"lead {lead.id} is already with {target.name}")
    return hand_on(
        session,
        assignment=assignment,
        actor=who.actor,
        reason=reason.strip(),
        rules=rules,
        now=now,
        to_rep_id=to_rep_id,
    )


def hand_on(
    session: Session,
    *,
    assignment: Assignment,
    actor: str,
    reason: str,
    rules: LoadedRules,
    now: datetime,
    to_rep_id: int | None = None,
    keep_out: bool = True,
) -> Routed:
    """End a live assignment and offer its lead to a named rep or the next matching one.

    `keep_out`: the rep it leaves is not offered it again this round (they handed it on); a rep
    who merely went away may get it back from the queue when they return.
    """
    repo.end_assignment(
        session,
        assignment_id=assignment.id,
        from_states=("offered", "accepted"),
        to_state="reassigned",
        at=now,
    )
    audit.record(
        session,
        actor=actor,
        action="assignment.reassigned",
        subject_type="lead",
        subject_id=str(assignment.lead_id),
        detail={"from_rep_id": assignment.rep_id, "to_rep_id": to_rep_id, "reason": reason},
        at=now,
    )
    want = Want(
        assignment.segment or "default",
        assignment.territory,
        assignment.language,
        rules.rules.matching.prefer,
    )
    offer = Offer(
        lead_id=assignment.lead_id,
        want=want,
        band=assignment.band or "cold",
        probability=assignment.probability or 0.0,
        sla_minutes=assignment.sla_minutes or rules.rules.sla_minutes.for_band("cold"),
        reasons=(f"handed on by {actor}: {reason[:200]}",),
        preferred_rep_id=to_rep_id,
        excluded=(assignment.rep_id,) if keep_out else (),
        attempt=assignment.attempt + 1,
    )
    states = repo.rep_states(session)
    if to_rep_id is not None:
        # A named rep takes it even outside their hours or over their cap: a person decided.
        states = [replace(s, always=True) if s.rep_id == to_rep_id else s for s in states]
    return place(session, offer=offer, states=states, now=now, actor=actor)


def dispose(
    session: Session,
    *,
    lead_id: int,
    who: Acting,
    outcome: str,
    reason: str | None,
    rules: LoadedRules,
    now: datetime,
) -> list[Routed]:
    """Record a lead's outcome; won, lost and nurture close it and free the rep's capacity."""
    if outcome not in OUTCOMES:
        raise InvalidDisposition(f"unknown outcome {outcome!r}: choose {', '.join(OUTCOMES)}")
    text = (reason or "").strip()
    if outcome == "lost" and not text:
        raise InvalidDisposition("a lost lead needs a reason (e.g. 'chose a competitor')")
    if len(text) > REASON_MAX:
        raise InvalidDisposition(f"a reason is at most {REASON_MAX} characters")
    lead = _lead(session, lead_id)
    assignment = _live(session, lead=lead, who=who)
    audit.record(
        session,
        actor=who.actor,
        action=f"disposition.{outcome}",
        subject_type="lead",
        subject_id=str(lead.id),
        detail={"assignment_id": assignment.id, "rep_id": assignment.rep_id, "reason": text},
        at=now,
    )
    assignment.disposition, assignment.disposition_reason = outcome, text or None
    lead.set_routing_status(outcome)
    if outcome == "qualified":
        if assignment.state == "offered":
            accept(
                session, lead_id=lead.id, who=Acting(assignment.rep_id, True, who.actor), now=now
            )
        return []
    repo.end_assignment(
        session,
        assignment_id=assignment.id,
        from_states=("offered", "accepted"),
        to_state="closed",
        at=now,
    )
    if outcome == "nurture":
        segment = rules.rules.segment_of(team_size=lead.team_size, country=lead.country)
        decision = EnrollNurture(
            segment.name,
            segment.nurture,
            assignment.band or "cold",
            assignment.probability or 0.0,
            (f"sent back to nurture by {who.actor}", *([text] if text else [])),
        )
        record_decision(
            session, lead=lead, decision=decision, rules=rules, now=now, actor=who.actor
        )
    return drain_queue(session, rules=rules, now=now, actor=who.actor)


def set_availability(
    session: Session,
    *,
    rep_id: int,
    available: bool,
    rules: LoadedRules,
    now: datetime,
    actor: str,
) -> list[Routed]:
    """Turn a rep's availability on or off.

    Coming online drains the queue to them; going away hands their not-yet-accepted offers to
    the next rep at once rather than letting each one lapse.
    """
    rep = get_rep(session, rep_id=rep_id)
    if rep.available == available:
        return []
    rep.available = available
    audit.record(
        session,
        actor=actor,
        action="rep.available" if available else "rep.away",
        subject_type="rep",
        subject_id=str(rep.id),
        detail={},
        at=now,
    )
    session.flush()
    if available:
        return drain_queue(session, rules=rules, now=now, actor=actor)
    offers = repo.offers_of(session, rep_id=rep.id)
    reason = f"{rep.name} went away before accepting"
    return [
        hand_on(
            session, assignment=a, actor=actor, reason=reason, rules=rules, now=now, keep_out=False
        )
        for a in offers
    ]


def require_manager(session: Session, *, rep_id: int | None) -> Rep:
    """Return the rep if they manage a team."""
    rep = session.get(Rep, rep_id) if rep_id is not None else None
    if rep is None or not rep.is_manager:
        raise NotAManager("this needs a manager's key (a rep marked `is_manager` in the reps file)")
    return rep
