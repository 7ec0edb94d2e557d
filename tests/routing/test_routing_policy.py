"""The routing policy and the rep pick: pure functions, checked decision by decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from leads.calendar import CalendarSettings
from routing.assignment import RepState, Want, pick_rep
from routing.policy import AssignRep, Disqualify, EnrollNurture, LeadFacts, decide
from tests.routing.factories import MONDAY, RULES_TEXT, loaded

RULES = loaded(RULES_TEXT).rules
LEAD = LeadFacts(
    lead_id=1,
    email="jo@buyer.test",
    country="DE",
    language="DE",
    team_size="11-50",
    probability=0.7,
    band="hot",
    score_reasons=("visited pricing", "asked about SSO", "5 sessions", "a fourth reason"),
)


def test_a_score_over_the_segment_threshold_goes_to_a_rep_with_its_reasons() -> None:
    decision = decide(LEAD, RULES)
    assert isinstance(decision, AssignRep)
    assert (decision.segment, decision.territory, decision.language) == ("smb", "emea", "de")
    assert decision.sla_minutes == 5
    assert decision.reasons == (
        "score 70% ≥ 60% for smb",
        "visited pricing",
        "asked about SSO",
        "5 sessions",
    )


def test_thresholds_differ_per_segment_and_the_rest_goes_to_that_segments_nurture() -> None:
    enterprise = replace(LEAD, team_size="1000+", probability=0.35, band="warm")
    assert isinstance(decide(enterprise, RULES), AssignRep)  # 35% ≥ 30% for enterprise
    small = replace(LEAD, probability=0.35, band="warm")
    decision = decide(small, RULES)
    assert isinstance(decision, EnrollNurture)
    assert decision.sequence == "smb-nurture"
    assert decision.reasons[0] == "score 35% < 60% for smb"


def test_hard_rules_win_over_the_score() -> None:
    asked = decide(replace(LEAD, probability=0.01, band="cold", asked_for_human=True), RULES)
    assert isinstance(asked, AssignRep)
    assert (asked.band, asked.sla_minutes, asked.reasons[0]) == (
        "hot",
        5,
        "asked to talk to a person",
    )
    customer = decide(
        replace(LEAD, probability=0.01, band="cold", customer=True, account_owner_rep_id=7),
        RULES,
    )
    assert isinstance(customer, AssignRep)
    assert customer.owner_rep_id == 7
    assert customer.reasons[0] == "existing customer: goes to the account owner"
    # A customer whose account has no owner is scored like anyone; a buyer goes to onboarding.
    unowned = decide(replace(LEAD, probability=0.01, band="cold", customer=True), RULES)
    assert isinstance(unowned, EnrollNurture)
    assert unowned.sequence == "smb-nurture"
    buyer = decide(replace(LEAD, customer=True, bought=True), RULES)
    assert isinstance(buyer, EnrollNurture)
    assert (buyer.sequence, buyer.reasons) == (
        "customer-onboarding",
        ("bought already: customer onboarding, not a sales lead",),
    )
    asking_buyer = decide(replace(LEAD, customer=True, bought=True, asked_for_human=True), RULES)
    assert isinstance(asking_buyer, AssignRep)
    rival = decide(replace(LEAD, email="x@eu.rival.test", asked_for_human=True), RULES)
    assert isinstance(rival, Disqualify)
    assert rival.reasons == ("works at a competitor (eu.rival.test)",)
    throwaway = decide(replace(LEAD, email="x@mailinator.com"), RULES)
    assert isinstance(throwaway, Disqualify)


def test_hard_rules_can_be_switched_off() -> None:
    rules = loaded(RULES_TEXT + "hard_rules: {asked_for_human: 'off'}\n").rules
    decision = decide(replace(LEAD, probability=0.01, band="cold", asked_for_human=True), rules)
    assert isinstance(decision, EnrollNurture)


ALWAYS = CalendarSettings(
    working_days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    work_start=time(0, 0),
    work_end=time(23, 59),
)


def rep(rep_id: int, **changes: object) -> RepState:
    base = RepState(
        rep_id=rep_id,
        segments=("smb",),
        territory="emea",
        languages=("en",),
        calendar=ALWAYS,
        capacity=10,
        open_leads=0,
        available=True,
        active=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


WANT = Want("smb", "emea", "en")


def test_round_robin_is_weighted_by_free_capacity_and_interleaved() -> None:
    reps = [rep(1, capacity=20), rep(2, capacity=10)]
    order = []
    for _ in range(6):
        pick = pick_rep(reps, WANT, now=MONDAY)
        assert pick is not None
        order.append(pick.rep_id)
        reps = [
            replace(
                r,
                credit=pick.credits.get(r.rep_id, r.credit),
                open_leads=r.open_leads + (r.rep_id == pick.rep_id),
            )
            for r in reps
        ]
    # Twice the room, about twice the leads, spread out rather than in a block.
    assert order.count(1) == 4
    assert order.count(2) == 2
    assert order[:3] != [1, 1, 1]


def test_only_reps_who_can_take_a_lead_now_are_picked() -> None:
    nine_to_five = CalendarSettings(timezone="Asia/Singapore")  # 23:00 there at MONDAY
    reps = [
        rep(1, available=False),
        rep(2, open_leads=10),
        rep(3, calendar=nine_to_five),
        rep(4, active=False),
        rep(5, segments=("enterprise",)),
    ]
    assert pick_rep(reps, WANT, now=MONDAY) is None
    assert pick_rep([*reps, rep(6)], WANT, now=MONDAY).rep_id == 6  # type: ignore[union-attr]
    assert pick_rep([rep(6)], WANT, now=MONDAY, excluded={6}) is None


def test_the_best_match_wins_and_the_account_owner_comes_first() -> None:
    reps = [rep(1, territory="apac", capacity=50), rep(2, territory="emea", capacity=2)]
    pick = pick_rep(reps, WANT, now=MONDAY)
    assert pick is not None
    assert pick.rep_id == 2
    assert pick.reasons == ("matches segment, territory, language; 2 of 2 free",)
    owner = pick_rep(reps, WANT, now=MONDAY, preferred_rep_id=1)
    assert owner is not None
    assert (owner.rep_id, owner.reasons) == (1, ("owns the account",))
    # An owner who cannot take it now is passed over for the usual pick.
    away = [replace(reps[0], available=False), reps[1]]
    assert pick_rep(away, WANT, now=MONDAY, preferred_rep_id=1).rep_id == 2  # type: ignore[union-attr]
