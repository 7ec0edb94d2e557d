"""Route leads: decide with the policy, offer to a rep or queue, and drain the queue.

Every function takes the session and the time (`now`), so the same code runs in the API, in
Celery tasks and in `clinch simulate routing` on a simulated clock. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leads import audit
from leads.errors import LeadNotFound
from leads.identity import current_lead
from leads.models import Assignment, Lead, QueuedLead, RoutingDecision, as_utc
from leads.profiles import latest_score
from routing import repository as repo
from routing.assignment import RepState, Want, matching_reps, pick_rep
from routing.notices import notify_assignment, notify_managers
from routing.policy import AssignRep, LeadFacts, RouteDecision, decide
from routing.rules import RoutingRules

# Queued leads read per page while draining, oldest first.
DRAIN_PAGE = 500


@dataclass(frozen=True)
class LoadedRules:
    """Rules with the version (content hash) every decision records."""

    rules: RoutingRules
    version: str


@dataclass(frozen=True)
class Routed:
    """What routing did with a lead, and the notices to send once committed."""

    lead_id: int
    action: str  # assigned | queued | nurture | disqualified | unchanged
    rep_id: int | None = None
    assignment_id: int | None = None
    reasons: tuple[str, ...] = ()
    notices: tuple[int, ...] = field(default=())


def lead_facts(session: Session, *, lead: Lead) -> LeadFacts:
    """Return what the policy knows of a lead: its score, profile, history and account."""
    score = latest_score(session, lead_id=lead.id)
    ended = repo.last_ended_at(session, lead_id=lead.id)
    return LeadFacts(
        lead_id=lead.id,
        email=lead.email,
        country=lead.country,
        language=lead.language,
        team_size=lead.team_size,
        probability=score.probability if score is not None else 0.0,
        band=score.band if score is not None else "cold",
        score_reasons=tuple(
            str(r["text"]) for r in (score.reasons if score else []) if "text" in r
        ),
        asked_for_human=repo.asked_for_human_since(session, lead_id=lead.id, since=ended),
        customer=repo.is_customer(session, lead=lead),
        bought=repo.bought(session, lead_id=lead.id),
        account_owner_rep_id=repo.account_owner(session, lead=lead),
    )


def _cooling_down(
    session: Session, *, lead: Lead, facts: LeadFacts, rules: RoutingRules, now: datetime
) -> bool:
    ended = repo.last_ended_at(session, lead_id=lead.id)
    if ended is None or facts.asked_for_human:
        return False
    return now - ended < timedelta(days=rules.hard_rules.cooldown_days)


def _same_as_before(previous: RoutingDecision | None, decision: RouteDecision) -> bool:
    if previous is None or previous.action != decision.action:
        return False
    return decision.action != "nurture" or previous.sequence == getattr(decision, "sequence", None)


def route_lead(
    session: Session, *, lead_id: int, rules: LoadedRules, now: datetime, actor: str = "router"
) -> Routed:
    """Decide what happens to a lead now and do it; a lead with a rep or in the queue stays."""
    lead = current_lead(session, lead_id=lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id}")
    if repo.live_assignment(session, lead_id=lead.id) or repo.queued(session, lead_id=lead.id):
        return Routed(lead.id, "unchanged", reasons=("already with a rep or in the queue",))
    facts = lead_facts(session, lead=lead)
    decision = decide(facts, rules.rules)
    previous = repo.latest_decision(session, lead_id=lead.id)
    if isinstance(decision, AssignRep) and _cooling_down(
        session, lead=lead, facts=facts, rules=rules.rules, now=now
    ):
        return Routed(lead.id, "unchanged", reasons=("a rep closed this lead recently",))
    if not isinstance(decision, AssignRep) and _same_as_before(previous, decision):
        return Routed(lead.id, "unchanged", reasons=decision.reasons)
    if isinstance(decision, AssignRep):
        # One savepoint for the decision and the offer: a worker that loses the race to assign
        # this lead leaves no decision behind either.
        savepoint = session.begin_nested()
        record_decision(session, lead=lead, decision=decision, rules=rules, now=now, actor=actor)
        routed = offer_or_queue(
            session, lead=lead, decision=decision, rules=rules.rules, now=now, actor=actor
        )
        savepoint.rollback() if routed.action == "unchanged" else savepoint.commit()
        return routed
    record_decision(session, lead=lead, decision=decision, rules=rules, now=now, actor=actor)
    lead.set_routing_status("nurture" if decision.action == "nurture" else "disqualified")
    return Routed(
        lead.id,
        "nurture" if decision.action == "nurture" else "disqualified",
        None,
        None,
        decision.reasons,
    )


def record_decision(
    session: Session,
    *,
    lead: Lead,
    decision: RouteDecision,
    rules: LoadedRules,
    now: datetime,
    actor: str,
) -> RoutingDecision:
    """Store a decision and its audit entry."""
    row = RoutingDecision(
        lead_id=lead.id,
        action=decision.action,
        segment=decision.segment,
        band=decision.band,
        probability=decision.probability,
        sequence=getattr(decision, "sequence", None),
        reasons=list(decision.reasons),
        rules_version=rules.version,
        decided_at=now,
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action=f"route.{decision.action}",
        subject_type="lead",
        subject_id=str(lead.id),
        detail={
            "segment": decision.segment,
            "band": decision.band,
            "probability": round(decision.probability, 4),
            "sequence": row.sequence,
            "reasons": list(decision.reasons),
            "rules_version": rules.version,
        },
        at=now,
    )
    return row


@dataclass(frozen=True)
class Offer:
    """A lead to offer: what it needs of a rep and how it got here."""

    lead_id: int
    want: Want
    band: str
    probability: float
    sla_minutes: int
    reasons: tuple[str, ...]
    preferred_rep_id: int | None = None
    excluded: tuple[int, ...] = ()
    attempt: int = 1


def offer_or_queue(
    session: Session,
    *,
    lead: Lead,
    decision: AssignRep,
    rules: RoutingRules,
    now: datetime,
    actor: str,
) -> Routed:
    """Offer a lead the policy sends to a rep, or queue it when no matching rep can take it."""
    offer = Offer(
        lead_id=lead.id,
        want=Want(decision.segment, decision.territory, decision.language, rules.matching.prefer),
        band=decision.band,
        probability=decision.probability,
        sla_minutes=decision.sla_minutes,
        reasons=decision.reasons,
        preferred_rep_id=decision.owner_rep_id,
    )
    return place(session, offer=offer, states=repo.rep_states(session), now=now, actor=actor)


def place(
    session: Session, *, offer: Offer, states: list[RepState], now: datetime, actor: str
) -> Routed:
    """Offer the lead to the best rep who can take it now, else queue it; update `states`."""
    pick = pick_rep(
        states,
        offer.want,
        now=now,
        excluded=offer.excluded,
        preferred_rep_id=offer.preferred_rep_id,
    )
    lead = session.get(Lead, offer.lead_id)
    assert lead is not None
    if pick is None:
        return _enqueue(session, lead=lead, offer=offer, states=states, now=now, actor=actor)
    due = now + timedelta(minutes=offer.sla_minutes)
    assignment = Assignment(
        lead_id=offer.lead_id,
        rep_id=pick.rep_id,
        state="offered",
        created_at=now,
        sla_due_at=due,
        attempt=offer.attempt,
        band=offer.band,
        probability=offer.probability,
        reasons=[*offer.reasons, *pick.reasons],
        segment=offer.want.segment,
        territory=offer.want.territory,
        language=offer.want.language,
        sla_minutes=offer.sla_minutes,
        excluded_rep_ids=list(offer.excluded),
    )
    try:
        with session.begin_nested():
            session.add(assignment)
    except IntegrityError:
        # Another worker handed this lead out first (the one-live-assignment index).
        return Routed(offer.lead_id, "unchanged", reasons=("another worker assigned it first",))
    repo.store_credits(session, credits=pick.credits)
    _count_pick(states, pick.rep_id, pick.credits)
    lead.set_routing_status("assigned")
    audit.record(
        session,
        actor=actor,
        action="route.assigned" if offer.attempt == 1 else "route.reassigned",
        subject_type="lead",
        subject_id=str(offer.lead_id),
        detail={
            "rep_id": pick.rep_id,
            "assignment_id": assignment.id,
            "attempt": offer.attempt,
            "sla_due_at": due.isoformat(),
            "reasons": assignment.reasons,
        },
        at=now,
    )
    event = "lead.assigned" if offer.attempt == 1 else "lead.reassigned"
    notices = notify_assignment(session, assignment=assignment, event=event, now=now)
    return Routed(
        offer.lead_id,
        "assigned",
        pick.rep_id,
        assignment.id,
        tuple(assignment.reasons),
        tuple(notices),
    )


def _count_pick(states: list[RepState], rep_id: int, credits: dict[int, float]) -> None:
    for i, state in enumerate(states):
        changes: dict[str, object] = {}
        if state.rep_id in credits:
            changes["credit"] = credits[state.rep_id]
        if state.rep_id == rep_id:
            changes["open_leads"] = state.open_leads + 1
        if changes:
            states[i] = replace(state, **changes)  # type: ignore[arg-type]


def _enqueue(
    session: Session,
    *,
    lead: Lead,
    offer: Offer,
    states: Sequence[RepState],
    now: datetime,
    actor: str,
) -> Routed:
    matching = matching_reps(states, offer.want)
    why = (
        f"no rep sells to {offer.want.segment}"
        if not matching
        else f"none of the {len(matching)} matching reps can take it now (off, away or full)"
    )
    row = QueuedLead(
        lead_id=lead.id,
        segment=offer.want.segment,
        territory=offer.want.territory,
        language=offer.want.language,
        band=offer.band,
        probability=offer.probability,
        reasons=list(offer.reasons),
        excluded_rep_ids=list(offer.excluded),
        preferred_rep_id=offer.preferred_rep_id,
        attempt=offer.attempt,
        queued_at=now,
        why=why,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return Routed(lead.id, "unchanged", reasons=("already in the queue",))
    lead.set_routing_status("queued")
    audit.record(
        session,
        actor=actor,
        action="route.queued",
        subject_type="lead",
        subject_id=str(lead.id),
        detail={"why": why, "attempt": offer.attempt, "segment": offer.want.segment},
        at=now,
    )
    notices: list[int] = []
    if not matching:
        notices = notify_managers(
            session,
            lead_id=lead.id,
            teams=set(),
            reasons=[why],
            event="lead.unroutable",
            round_key=f"q{offer.attempt}",
            now=now,
        )
    return Routed(lead.id, "queued", reasons=(why,), notices=tuple(notices))


def drain_queue(
    session: Session, *, rules: LoadedRules, now: datetime, actor: str = "router"
) -> list[Routed]:
    """Offer queued leads, oldest first, to reps who can take them now."""
    policy = rules.rules
    states = repo.rep_states(session)
    done: list[Routed] = []
    # Wants no rep can meet now, so a long queue of one segment is not re-checked row by row.
    hopeless: set[tuple[Want, tuple[int, ...], int | None]] = set()
    for page in repo.queue_pages(session, size=DRAIN_PAGE):
        for row in page:
            if not any(s.can_take(now) for s in states):
                return done
            want = Want(row.segment, row.territory, row.language, policy.matching.prefer)
            excluded = tuple(row.excluded_rep_ids or ())
            key = (want, excluded, row.preferred_rep_id)
            if key in hopeless:
                continue
            ready = pick_rep(
                states, want, now=now, excluded=excluded, preferred_rep_id=row.preferred_rep_id
            )
            if ready is None:
                hopeless.add(key)
                continue
            if repo.take_from_queue(session, queued_id=row.id):
                offer = _from_queue(row, want, excluded, policy)
                done.append(place(session, offer=offer, states=states, now=now, actor=actor))
    return done


def _from_queue(
    row: QueuedLead, want: Want, excluded: tuple[int, ...], policy: RoutingRules
) -> Offer:
    return Offer(
        lead_id=row.lead_id,
        want=want,
        band=row.band,
        probability=row.probability,
        sla_minutes=policy.sla_minutes.for_band(row.band),
        reasons=(*row.reasons, f"waited in the queue since {as_utc(row.queued_at):%H:%M} UTC"),
        preferred_rep_id=row.preferred_rep_id,
        excluded=excluded,
        attempt=row.attempt,
    )
