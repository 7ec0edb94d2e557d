"""The SLA sweep: an offer not accepted in time goes to the next matching rep.

Run from Celery beat. Each lapsed offer is ended with a compare-and-set, so when two workers
sweep at once exactly one of them re-assigns each lead; the one-live-assignment index backs it.
After every matching rep has let a lead lapse in a round, the managers are alerted and a new
round starts (everyone but the last rep to miss it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from leads import audit
from leads.models import Assignment, Rep, as_utc
from routing import repository as repo
from routing.assignment import Want, matching_reps
from routing.notices import notify_managers
from routing.rules import RoutingRules
from routing.service import LoadedRules, Offer, Routed, place

SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Miss:
    """One lapsed offer and what became of its lead."""

    assignment_id: int
    lead_id: int
    rep_id: int
    due_at: datetime
    handled_at: datetime
    escalated: bool
    routed: Routed


def _teams(session: Session, rep_ids: list[int]) -> set[str]:
    teams = set()
    for rep_id in rep_ids:
        rep = session.get(Rep, rep_id)
        if rep is not None and rep.team:
            teams.add(rep.team)
    return teams


def _handle(
    session: Session, *, lapsed: Assignment, rules: RoutingRules, now: datetime, actor: str
) -> Miss:
    states = repo.rep_states(session)
    want = Want(
        lapsed.segment or "default", lapsed.territory, lapsed.language, rules.matching.prefer
    )
    excluded = sorted({*lapsed.excluded_rep_ids, lapsed.rep_id})
    matching = [s.rep_id for s in matching_reps(states, want)]
    escalated = bool(matching) and not set(matching) - set(excluded)
    notices: list[int] = []
    if escalated:
        why = f"all {len(matching)} matching reps let the SLA lapse"
        notices = notify_managers(
            session,
            lead_id=lapsed.lead_id,
            teams=_teams(session, matching),
            reasons=[why],
            event="lead.sla_escalated",
            round_key=f"a{lapsed.id}",
            now=now,
        )
        audit.record(
            session,
            actor=actor,
            action="sla.escalated",
            subject_type="lead",
            subject_id=str(lapsed.lead_id),
            detail={"why": why, "reps": matching, "assignment_id": lapsed.id},
            at=now,
        )
        # A new round: everyone may be offered it again, but not straight back to the last one.
        excluded = [lapsed.rep_id] if len(matching) > 1 else []
    offer = Offer(
        lead_id=lapsed.lead_id,
        want=want,
        band=lapsed.band or "cold",
        probability=lapsed.probability or 0.0,
        sla_minutes=lapsed.sla_minutes or rules.sla_minutes.for_band(lapsed.band or "cold"),
        reasons=(f"re-assigned: rep {lapsed.rep_id} did not accept in time",),
        excluded=tuple(excluded),
        attempt=lapsed.attempt + 1,
    )
    routed = place(session, offer=offer, states=states, now=now, actor=actor)
    routed = Routed(
        routed.lead_id,
        routed.action,
        routed.rep_id,
        routed.assignment_id,
        routed.reasons,
        (*routed.notices, *notices),
    )
    due = as_utc(lapsed.sla_due_at) if lapsed.sla_due_at else now
    return Miss(lapsed.id, lapsed.lead_id, lapsed.rep_id, due, now, escalated, routed)


def sweep_sla(
    session: Session, *, rules: LoadedRules, now: datetime, actor: str = "sla"
) -> list[Miss]:
    """End every lapsed offer, record the miss and re-assign (or queue) its lead."""
    misses: list[Miss] = []
    while batch := repo.due_offers(session, now=now, limit=SWEEP_LIMIT):
        handled = [_miss(session, lapsed=a, rules=rules.rules, now=now, actor=actor) for a in batch]
        found = [m for m in handled if m is not None]
        if not found:
            break  # every one was another worker's
        misses.extend(found)
    return misses


def _miss(
    session: Session, *, lapsed: Assignment, rules: RoutingRules, now: datetime, actor: str
) -> Miss | None:
    if not repo.end_assignment(
        session, assignment_id=lapsed.id, from_states=("offered",), to_state="missed", at=now
    ):
        return None  # another worker took this one
    session.refresh(lapsed)
    due = as_utc(lapsed.sla_due_at) if lapsed.sla_due_at else now
    audit.record(
        session,
        actor=actor,
        action="sla.missed",
        subject_type="lead",
        subject_id=str(lapsed.lead_id),
        detail={
            "assignment_id": lapsed.id,
            "rep_id": lapsed.rep_id,
            "due_at": due.isoformat(),
            "late_by_s": round((now - due).total_seconds(), 1),
        },
        at=now,
    )
    return _handle(session, lapsed=lapsed, rules=rules, now=now, actor=actor)
