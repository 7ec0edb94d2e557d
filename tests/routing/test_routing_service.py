"""Routing on a real SQLite store: decisions, assignment, the queue, the SLA, rep actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.audit import entries_for
from leads.db import unit_of_work
from leads.errors import LeadNotFound
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Account, Assignment, Lead, Notification, QueuedLead, Rep, as_utc
from leads.reps import find_rep_by_email
from routing import repository as repo
from routing.errors import InvalidDisposition, LeadNotAssigned, NotYourLead
from routing.rep_actions import Acting, accept, dispose, reassign, set_availability
from routing.service import drain_queue, route_lead
from routing.sla import sweep_sla
from tests.routing.factories import (
    MONDAY,
    add_reps,
    ask_for_person,
    loaded,
    make_lead,
    utc,
)

RULES = loaded()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with unit_of_work(sessions) as s:
        add_reps(s)
        s.flush()
        yield s


def rep(session: Session, email: str) -> int:
    return find_rep_by_email(session, email=email).id


def as_rep(session: Session, email: str) -> Acting:
    return Acting(rep(session, email), actor=email)


def test_a_hot_lead_goes_to_the_matching_rep_in_hours_with_reasons_audit_and_notices(
    session: Session,
) -> None:
    lead = make_lead(session, email="a@buyer.test", probability=0.8, country="DE")
    routed = route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    # Berlin at 16:00 is working and in EMEA; New York also works but is the wrong territory.
    assert routed.action == "assigned"
    assert routed.rep_id == rep(session, "ben@q.test")
    assignment = session.get(Assignment, routed.assignment_id)
    assert assignment is not None
    assert assignment.state == "offered"
    assert assignment.sla_due_at is not None
    assert any("score 80% ≥ 60% for smb" in r for r in assignment.reasons)
    assert any("territory" in r for r in assignment.reasons)
    actions = [e.action for e in entries_for(session, subject_type="lead", subject_id=str(lead))]
    assert actions[-2:] == ["route.assign", "route.assigned"]
    notices = session.scalars(select(Notification).where(Notification.lead_id == lead)).all()
    assert [(n.channel, n.target) for n in notices] == [("email", "ben@q.test")]
    assert notices[0].payload["score"]["reasons"] == ["visited pricing 3 times"]
    # Routing the same lead again changes nothing: it is with a rep.
    assert route_lead(session, lead_id=lead, rules=RULES, now=MONDAY).action == "unchanged"


def test_low_scores_enter_their_segments_nurture_once_and_spam_is_disqualified(
    session: Session,
) -> None:
    ent = make_lead(session, email="x@big.test", probability=0.2, team_size="1000+")
    smb = make_lead(session, email="y@small.test", probability=0.5)
    rival = make_lead(session, email="z@rival.test", probability=0.9)
    assert route_lead(session, lead_id=ent, rules=RULES, now=MONDAY).action == "nurture"
    assert route_lead(session, lead_id=ent, rules=RULES, now=MONDAY).action == "unchanged"
    assert route_lead(session, lead_id=smb, rules=RULES, now=MONDAY).action == "nurture"
    disq = route_lead(session, lead_id=rival, rules=RULES, now=MONDAY)
    assert disq.action == "disqualified"
    assert disq.reasons == ("works at a competitor (rival.test)",)
    statuses = {lead: session.get(Lead, lead).status for lead in (ent, smb, rival)}  # type: ignore[union-attr]
    assert statuses == {ent: "nurture", smb: "nurture", rival: "disqualified"}


def test_asking_for_a_person_makes_a_cold_lead_hot(session: Session) -> None:
    lead = make_lead(session, email="p@buyer.test", probability=0.05)
    ask_for_person(session, lead_id=lead, at=MONDAY)
    routed = route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    assert routed.action == "assigned"
    assignment = session.get(Assignment, routed.assignment_id)
    assert assignment is not None
    assert assignment.band == "hot"
    assert assignment.sla_due_at is not None
    assert assignment.sla_due_at - assignment.created_at == timedelta(minutes=5)


def test_round_robin_is_weighted_by_free_capacity_and_capped(session: Session) -> None:
    # Only New York and Berlin work at 15:00 UTC; US leads prefer New York (cap 4), then Berlin.
    leads = [make_lead(session, email=f"l{i}@buyer.test", probability=0.9) for i in range(7)]
    routed = [route_lead(session, lead_id=lead, rules=RULES, now=MONDAY) for lead in leads]
    ann, ben = rep(session, "ann@q.test"), rep(session, "ben@q.test")
    assert [r.rep_id for r in routed[:4]] == [ann] * 4  # the best match until full
    assert [r.rep_id for r in routed[4:6]] == [ben] * 2  # then the segment-only match
    assert routed[6].action == "queued"  # both full: the lead waits
    queued = session.scalars(select(QueuedLead)).one()
    assert "matching reps can take it now" in queued.why


def test_the_queue_drains_oldest_first_when_a_rep_frees_capacity(session: Session) -> None:
    ben = as_rep(session, "ben@q.test")
    leads = [
        make_lead(session, email=f"q{i}@buyer.test", probability=0.9, country="DE")
        for i in range(4)
    ]
    for i, lead in enumerate(leads):
        route_lead(session, lead_id=lead, rules=RULES, now=MONDAY + timedelta(seconds=i))
    # Ben (cap 2) has two; Ann (New York, smb) the next two. Ann going away hands her two
    # unaccepted offers on at once; Ben is full, so they wait, oldest first.
    moved = set_availability(
        session,
        rep_id=rep(session, "ann@q.test"),
        available=False,
        rules=RULES,
        now=utc(0.05),
        actor="ann",
    )
    assert [(m.lead_id, m.action) for m in moved] == [(leads[2], "queued"), (leads[3], "queued")]
    extra = make_lead(session, email="e0@buyer.test", probability=0.9, country="DE")
    assert route_lead(session, lead_id=extra, rules=RULES, now=utc(0.1)).action == "queued"
    accept(session, lead_id=leads[0], who=ben, now=utc(0.2))
    drained = dispose(
        session, lead_id=leads[0], who=ben, outcome="won", reason=None, rules=RULES, now=utc(0.3)
    )
    assert [(d.lead_id, d.action, d.rep_id) for d in drained] == [
        (leads[2], "assigned", ben.rep_id)
    ]
    assert list(session.scalars(select(QueuedLead.lead_id).order_by(QueuedLead.queued_at))) == [
        leads[3],
        extra,
    ]
    # Ann coming back online takes the other queued leads at once, oldest first.
    back = set_availability(
        session,
        rep_id=rep(session, "ann@q.test"),
        available=True,
        rules=RULES,
        now=utc(0.4),
        actor="ann",
    )
    assert [(d.lead_id, d.action) for d in back] == [(leads[3], "assigned"), (extra, "assigned")]
    assert session.scalar(select(func.count()).select_from(QueuedLead)) == 0
    actions = [
        e.action
        for e in entries_for(
            session, subject_type="rep", subject_id=str(rep(session, "ann@q.test"))
        )
    ]
    assert actions == ["rep.away", "rep.available"]


def test_a_lapsed_offer_goes_to_the_next_rep_and_then_the_managers(session: Session) -> None:
    lead = make_lead(session, email="s@buyer.test", probability=0.9, country="DE")
    first = route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    assert first.rep_id == rep(session, "ben@q.test")
    assert sweep_sla(session, rules=RULES, now=MONDAY + timedelta(minutes=4)) == []
    misses = sweep_sla(session, rules=RULES, now=MONDAY + timedelta(minutes=5, seconds=30))
    assert [(m.rep_id, m.routed.rep_id, m.escalated) for m in misses] == [
        (rep(session, "ben@q.test"), rep(session, "ann@q.test"), False)
    ]
    # A second sweep of the same moment finds nothing more to do: no double assignment.
    assert sweep_sla(session, rules=RULES, now=MONDAY + timedelta(minutes=5, seconds=30)) == []
    # Ann lapses too: both matching reps in hours have missed, Cy (Singapore) is the last match.
    later = sweep_sla(session, rules=RULES, now=MONDAY + timedelta(minutes=11))
    assert len(later) == 1
    assert later[0].routed.action == "queued"  # Cy is asleep; the lead waits, not lost
    # Cy's day starts at 01:00 UTC; the queue drains to Cy, who lets it lapse as well.
    morning = MONDAY.replace(hour=1, minute=0) + timedelta(days=1)
    assert [d.rep_id for d in drain_queue(session, rules=RULES, now=morning)] == [
        rep(session, "cy@q.test")
    ]
    last = sweep_sla(session, rules=RULES, now=morning + timedelta(minutes=6))
    assert last[0].escalated
    alert = session.scalars(
        select(Notification).where(Notification.event == "lead.sla_escalated")
    ).one()
    assert alert.target == "max@q.test"
    live = session.scalars(
        select(Assignment).where(Assignment.lead_id == lead, Assignment.state == "offered")
    ).all()
    assert len(live) <= 1
    actions = [e.action for e in entries_for(session, subject_type="lead", subject_id=str(lead))]
    assert actions.count("sla.missed") == 3
    assert "sla.escalated" in actions


def test_only_the_offered_rep_accepts_and_a_reassigned_lead_cannot_be_accepted(
    session: Session,
) -> None:
    lead = make_lead(session, email="r@buyer.test", probability=0.9, country="DE")
    route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    with pytest.raises(NotYourLead, match="assigned to Ben Berlin"):
        accept(session, lead_id=lead, who=as_rep(session, "ann@q.test"), now=MONDAY)
    sweep_sla(session, rules=RULES, now=MONDAY + timedelta(minutes=6))
    with pytest.raises(NotYourLead):
        accept(session, lead_id=lead, who=as_rep(session, "ben@q.test"), now=utc(0.2))
    taken = accept(session, lead_id=lead, who=as_rep(session, "ann@q.test"), now=utc(0.2))
    assert taken.state == "accepted"
    # Accepting makes Ann the owner of the buyer's account: its next lead goes to her.
    account = session.scalars(select(Account).where(Account.domain == "buyer.test")).one()
    assert account.owner_rep_id == rep(session, "ann@q.test")
    colleague = make_lead(session, email="r2@buyer.test", probability=0.9, country="DE")
    routed = route_lead(session, lead_id=colleague, rules=RULES, now=utc(0.3))
    assert routed.rep_id == rep(session, "ann@q.test")
    assert "owns the account" in routed.reasons


def test_reassign_and_dispositions_check_their_input_and_change_nothing_when_refused(
    session: Session,
) -> None:
    lead = make_lead(session, email="d@buyer.test", probability=0.9, country="DE")
    route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    ben = as_rep(session, "ben@q.test")
    with pytest.raises(InvalidDisposition, match="needs a reason"):
        dispose(session, lead_id=lead, who=ben, outcome="lost", reason=" ", rules=RULES, now=MONDAY)
    with pytest.raises(InvalidDisposition, match="unknown outcome"):
        dispose(
            session, lead_id=lead, who=ben, outcome="maybe", reason=None, rules=RULES, now=MONDAY
        )
    assert session.scalars(select(Assignment.state)).all() == ["offered"]
    cy = rep(session, "cy@q.test")
    moved = reassign(
        session,
        lead_id=lead,
        who=ben,
        to_rep_id=cy,
        reason="speaks Tamil",
        rules=RULES,
        now=utc(0.1),
    )
    assert moved.rep_id == cy  # a named rep takes it, even at night
    with pytest.raises(LeadNotFound):
        dispose(
            session,
            lead_id=lead + 999,
            who=ben,
            outcome="won",
            reason=None,
            rules=RULES,
            now=utc(0.2),
        )
    with pytest.raises(NotYourLead):
        dispose(
            session, lead_id=lead, who=ben, outcome="won", reason=None, rules=RULES, now=utc(0.2)
        )
    # The manager of the team may act on it.
    manager = as_rep(session, "max@q.test")
    dispose(
        session,
        lead_id=lead,
        who=manager,
        outcome="nurture",
        reason="not before Q3",
        rules=RULES,
        now=utc(0.3),
    )
    assert session.get(Lead, lead).status == "nurture"  # type: ignore[union-attr]
    with pytest.raises(LeadNotAssigned, match="not with a rep now"):
        accept(session, lead_id=lead, who=Acting(cy, actor="cy"), now=utc(0.4))
    # Back in nurture, a new hot score does not bring it back to a rep during the cool-down.
    assert route_lead(session, lead_id=lead, rules=RULES, now=utc(1)).action == "unchanged"


def test_no_rep_for_a_segment_queues_the_lead_and_alerts_managers(session: Session) -> None:
    for row in session.scalars(select(Rep)):
        if row.email != "max@q.test":
            row.segments = ["smb"]
    lead = make_lead(session, email="big@corp.test", probability=0.9, team_size="1000+")
    routed = route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    assert routed.action == "queued"
    assert routed.reasons == ("no rep sells to enterprise",)
    alert = session.get(Notification, routed.notices[0])
    assert alert is not None
    assert (alert.event, alert.target) == ("lead.unroutable", "max@q.test")


def test_merging_two_routed_leads_leaves_one_live_assignment(session: Session) -> None:
    known = make_lead(session, email="k@buyer.test", probability=0.9, country="DE")
    assert route_lead(session, lead_id=known, rules=RULES, now=MONDAY).action == "assigned"
    visitor = (
        ingest_events(
            session,
            batch=[EventIn("v1", "handoff_requested", MONDAY, anonymous_id="visitor-1")],
            received_at=MONDAY,
        )
        .outcomes[0]
        .lead_id
    )
    assert visitor is not None
    assert route_lead(session, lead_id=visitor, rules=RULES, now=MONDAY).action == "assigned"
    # The visitor gives the known lead's email: the two are one person now.
    ingest_events(
        session,
        batch=[EventIn("v2", "identify", utc(0.1), email="k@buyer.test", anonymous_id="visitor-1")],
        received_at=utc(0.1),
    )
    rows = session.scalars(select(Assignment).order_by(Assignment.id)).all()
    assert {r.lead_id for r in rows} == {known}
    assert [(r.state, r.disposition) for r in rows] == [("offered", None), ("closed", "merged")]
    assert rows[1].ended_at is not None
    assert as_utc(rows[1].ended_at) == utc(0.1)  # the event's time, not the wall clock
    # A merge's closing is no rep's verdict: the person may be routed again at once.
    assert repo.last_ended_at(session, lead_id=known) is None


def test_a_merge_keeps_the_accepted_assignment(session: Session) -> None:
    known = make_lead(session, email="m@buyer.test", probability=0.9, country="DE")
    route_lead(session, lead_id=known, rules=RULES, now=MONDAY)
    visitor = (
        ingest_events(
            session,
            batch=[EventIn("w1", "handoff_requested", MONDAY, anonymous_id="visitor-2")],
            received_at=MONDAY,
        )
        .outcomes[0]
        .lead_id
    )
    assert visitor is not None
    held = route_lead(session, lead_id=visitor, rules=RULES, now=MONDAY)
    assert held.rep_id is not None
    accept(session, lead_id=visitor, who=Acting(held.rep_id, actor="rep"), now=MONDAY)
    ingest_events(
        session,
        batch=[EventIn("w2", "identify", utc(0.1), email="m@buyer.test", anonymous_id="visitor-2")],
        received_at=utc(0.1),
    )
    live = repo.live_assignment(session, lead_id=known)
    assert live is not None
    assert (live.id, live.state) == (held.assignment_id, "accepted")
