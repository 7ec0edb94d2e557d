"""The pure interpreter: each step kind, exits, the cap, quiet hours, splits and visits."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from nurture.definition import BranchStep, Condition, Sequence, SplitStep
from nurture.interpreter import MAX_STEPS_PER_RUN, RunOutcome, draw_variant, run_steps
from tests.nurture.factories_engine import MONDAY, config, facts, sequence, start

WELCOME_WAIT_OFFER = sequence(
    """
key: w
name: Welcome, wait, offer
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - {id: offer, email: offer}
"""
)
ONE_EMAIL = sequence("{key: one, name: One, steps: [{id: hello, email: welcome}]}")


def kinds(outcome: RunOutcome) -> list[tuple[str | None, str]]:
    return [(entry.step_id, entry.kind) for entry in outcome.log]


def test_an_email_step_writes_one_outbox_row_and_a_wait_parks_the_enrollment() -> None:
    out = run_steps(WELCOME_WAIT_OFFER, start("welcome"), facts(), now=MONDAY, config=config())
    assert [(e.step_id, e.visit, e.template) for e in out.emails] == [("welcome", 1, "welcome")]
    assert (out.status, out.step_id, out.next_run_at) == ("active", "pause", MONDAY + timedelta(2))
    assert kinds(out) == [("welcome", "entered"), ("welcome", "sent"), ("pause", "entered")]
    assert out.steps_run == 2


def test_a_wait_that_is_over_goes_on_and_the_last_step_completes() -> None:
    due = MONDAY + timedelta(days=2)
    position = start("pause", started=True, due_at=due)
    early = run_steps(
        WELCOME_WAIT_OFFER, position, facts(), now=due - timedelta(1), config=config()
    )
    assert (early.status, early.step_id, early.emails, early.log) == ("active", "pause", (), ())
    out = run_steps(WELCOME_WAIT_OFFER, position, facts(), now=due, config=config())
    assert [e.step_id for e in out.emails] == ["offer"]
    assert (out.status, out.exit_reason, out.next_run_at) == ("completed", "completed", None)
    assert kinds(out) == [("offer", "entered"), ("offer", "sent"), ("offer", "completed")]


def test_an_enrollment_that_starts_on_a_wait_waits_from_its_start() -> None:
    waits_first = sequence(
        "{key: x, name: X, steps: [{id: first, wait: 36h}, {id: hello, email: welcome}]}"
    )
    out = run_steps(waits_first, start("first"), facts(), now=MONDAY, config=config())
    assert (out.step_id, out.next_run_at, out.emails) == ("first", MONDAY + timedelta(hours=36), ())


UNTIL = """
key: until
name: Until
steps:
  - {{id: to-day, wait: {{until: {{weekday: {day}, time: "{at}"}}}}}}
  - {{id: hello, email: welcome}}
"""


@pytest.mark.parametrize(
    ("zone", "now", "day", "at", "expected"),
    [
        # Monday 15:00 UTC is 11:00 in New York (EDT since 8 March): Tuesday 10:00 EDT.
        ("America/New_York", MONDAY, "tue", "10:00", datetime(2026, 3, 10, 14, 0, tzinfo=UTC)),
        # Strictly after now: at Tuesday 10:00 itself, the next Tuesday.
        (
            "America/New_York",
            datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
            "tue",
            "10:00",
            datetime(2026, 3, 17, 14, 0, tzinfo=UTC),
        ),
        # Across Berlin's spring change (29 March): Monday 10:00 CEST is 08:00 UTC, not 09:00.
        (
            "Europe/Berlin",
            datetime(2026, 3, 27, 12, 0, tzinfo=UTC),
            "mon",
            "10:00",
            datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        ),
        # 02:30 does not exist in Berlin on 29 March: it lands after the gap, 03:30 CEST.
        (
            "Europe/Berlin",
            datetime(2026, 3, 27, 12, 0, tzinfo=UTC),
            "sun",
            "02:30",
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
        # Autumn (25 October): 10:00 CET on the Monday after is 09:00 UTC.
        (
            "Europe/Berlin",
            datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
            "mon",
            "10:00",
            datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
        ),
        # Singapore is already on Tuesday at Monday 23:00 UTC... (07:00 local Tuesday).
        (
            "Asia/Singapore",
            datetime(2026, 3, 9, 23, 0, tzinfo=UTC),
            "tue",
            "09:00",
            datetime(2026, 3, 10, 1, 0, tzinfo=UTC),
        ),
    ],
)
def test_until_a_weekday_is_the_next_such_wall_time_in_the_leads_zone(
    zone: str, now: datetime, day: str, at: str, expected: datetime
) -> None:
    steps = sequence(UNTIL.format(day=day, at=at))
    out = run_steps(steps, start("to-day"), facts(timezone=zone), now=now, config=config())
    assert out.next_run_at == expected


def test_until_a_time_without_a_weekday_is_the_next_day_it_comes() -> None:
    steps = sequence(
        """
key: daily
name: Daily
steps:
  - {id: nine, wait: {until: {time: "09:00"}}}
  - {id: hello, email: welcome}
"""
    )
    out = run_steps(
        steps, start("nine"), facts(timezone="Europe/Berlin"), now=MONDAY, config=config()
    )
    assert out.next_run_at == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


QUIET = config(quiet_start=time(21, 0), quiet_end=time(8, 0))


@pytest.mark.parametrize(
    ("zone", "now", "until"),
    [
        # 23:00 in Singapore: quiet until 08:00 there, Tuesday 00:00 UTC.
        ("Asia/Singapore", MONDAY, datetime(2026, 3, 10, 0, 0, tzinfo=UTC)),
        # 05:00 in New York (after midnight): the same morning, 08:00 EDT.
        (
            "America/New_York",
            datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        ),
        # 22:00 CET on the Saturday before the spring change: 08:00 CEST is 06:00 UTC.
        (
            "Europe/Berlin",
            datetime(2026, 3, 28, 21, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 6, 0, tzinfo=UTC),
        ),
    ],
)
def test_quiet_hours_in_the_leads_zone_hold_an_email_until_they_end(
    zone: str, now: datetime, until: datetime
) -> None:
    out = run_steps(ONE_EMAIL, start("hello"), facts(timezone=zone), now=now, config=QUIET)
    assert (out.emails, out.status, out.step_id, out.next_run_at) == ((), "active", "hello", until)
    assert kinds(out) == [("hello", "entered"), ("hello", "quiet")]
    later = run_steps(
        ONE_EMAIL,
        start("hello", started=True, due_at=until),
        facts(timezone=zone),
        now=until,
        config=QUIET,
    )
    assert [e.step_id for e in later.emails] == ["hello"]
    assert kinds(later) == [("hello", "sent"), ("hello", "completed")]  # entered only once


def test_outside_quiet_hours_the_email_goes() -> None:
    out = run_steps(
        ONE_EMAIL, start("hello"), facts(timezone="Europe/Berlin"), now=MONDAY, config=QUIET
    )
    assert len(out.emails) == 1


def test_the_weekly_cap_holds_an_email_until_the_oldest_send_leaves_the_window() -> None:
    sends = (MONDAY - timedelta(days=6), MONDAY - timedelta(days=3), MONDAY - timedelta(hours=1))
    out = run_steps(
        ONE_EMAIL, start("hello"), facts(recent_sends=sends), now=MONDAY, config=config()
    )
    assert out.emails == ()
    assert (out.step_id, out.next_run_at) == ("hello", MONDAY + timedelta(days=1))
    assert kinds(out)[-1] == ("hello", "capped")
    old = (MONDAY - timedelta(days=8), *sends[1:])  # one is older than a week: a slot is free
    assert (
        len(
            run_steps(
                ONE_EMAIL, start("hello"), facts(recent_sends=old), now=MONDAY, config=config()
            ).emails
        )
        == 1
    )


def test_a_freed_slot_inside_quiet_hours_waits_for_their_end() -> None:
    # The slot frees Tuesday 22:00 in Berlin (21:00 UTC), inside quiet hours: Wednesday 08:00.
    sends = (datetime(2026, 3, 3, 21, 0, tzinfo=UTC), MONDAY - timedelta(days=1), MONDAY)
    lead = facts(timezone="Europe/Berlin", recent_sends=sends)
    out = run_steps(ONE_EMAIL, start("hello"), lead, now=MONDAY, config=QUIET)
    assert out.next_run_at == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


def test_emails_of_the_same_run_count_toward_the_cap() -> None:
    two = sequence("{key: t, name: T, steps: [{id: a, email: welcome}, {id: b, email: offer}]}")
    out = run_steps(two, start("a"), facts(), now=MONDAY, config=config(max_emails_per_week=1))
    assert [e.step_id for e in out.emails] == ["a"]
    assert (out.step_id, out.next_run_at) == ("b", MONDAY + timedelta(days=7))
    assert out.facts is not None
    assert out.facts.recent_sends == (MONDAY,)


def test_a_lead_without_an_address_skips_the_email_with_a_reason() -> None:
    out = run_steps(
        WELCOME_WAIT_OFFER, start("welcome"), facts(email=None), now=MONDAY, config=config()
    )
    assert out.emails == ()
    assert out.error is None
    skipped = [e for e in out.log if e.kind == "skipped"]
    assert skipped[0].step_id == "welcome"
    assert "no email address" in (skipped[0].detail or "")
    assert (out.status, out.step_id) == ("active", "pause")


GOAL_DEMO = """
key: g
name: Goal meeting
goal: meeting_booked
exit_on: [{exits}]
steps:
  - {{id: hello, email: welcome}}
"""


@pytest.mark.parametrize(
    ("exits", "event", "lead", "expected"),
    [
        ("purchased", "meeting_booked", {}, ("converted", "meeting_booked")),
        ("purchased", "purchase", {}, ("exited", "purchased")),
        ("replied", "purchase", {}, None),
        ("replied", "email_replied", {}, ("exited", "replied")),
        ("purchased", "email_replied", {}, None),
        ("purchased", "unsubscribe", {}, ("exited", "unsubscribed")),
        ("purchased", None, {"marketing_consent": False}, ("exited", "consent_withdrawn")),
        ("purchased", None, {"marketing_consent": None}, ("exited", "no_consent")),
        ("became_hot", None, {"handed_to_routing": True}, ("exited", "became_hot")),
        ("purchased", None, {"handed_to_routing": True}, None),
    ],
)
def test_exits_apply_as_the_sequence_lists_them(
    exits: str, event: str | None, lead: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    steps = sequence(GOAL_DEMO.format(exits=exits))
    seen = ((event, MONDAY - timedelta(hours=1)),) if event else ()
    entered = MONDAY - timedelta(days=1)
    position = start("hello", at=entered)
    out = run_steps(steps, position, facts(events=seen, **lead), now=MONDAY, config=config())
    if expected is None:
        assert (out.status, len(out.emails)) == ("completed", 1)
    else:
        assert (out.status, out.exit_reason, out.emails) == (*expected, ())
        assert out.log[-1].kind == ("converted" if expected[0] == "converted" else "exited")


def test_a_purchase_converts_when_purchase_is_the_goal_and_only_after_entry_counts() -> None:
    entered = MONDAY - timedelta(days=1)
    bought_before = facts(events=(("purchase", entered - timedelta(hours=1)),))
    out = run_steps(
        ONE_EMAIL, start("hello", at=entered), bought_before, now=MONDAY, config=config()
    )
    assert out.status == "completed"
    bought_after = facts(events=(("purchase", entered + timedelta(hours=1)),))
    out = run_steps(
        ONE_EMAIL, start("hello", at=entered), bought_after, now=MONDAY, config=config()
    )
    assert (out.status, out.exit_reason) == ("converted", "purchase")


BRANCHY = """
key: b
name: Branches
steps:
  - id: pick
    branch:
      cases:
        - {when: {event: pricing_view, within: 7d}, goto: pricing}
        - {when: {band: [warm, hot]}, goto: warm}
        - {when: {field: team_size, in: ["201-500", "501-1000"]}, goto: big}
        - {when: {field: email_domain, equals: BigCo.test}, goto: bigco}
        - {when: {field: company, exists: false}, goto: anonymous}
      otherwise: rest
  - {id: pricing, email: pricing, next: end}
  - {id: warm, email: warm, next: end}
  - {id: big, email: big, next: end}
  - {id: bigco, email: bigco, next: end}
  - {id: anonymous, email: anonymous, next: end}
  - {id: rest, email: rest, next: end}
  - {id: end, exit: completed}
"""


@pytest.mark.parametrize(
    ("lead", "template"),
    [
        ({"events": (("pricing_view", MONDAY - timedelta(days=2)),)}, "pricing"),
        ({"events": (("pricing_view", MONDAY - timedelta(days=8)),)}, "rest"),
        ({"band": "warm"}, "warm"),
        ({"band": "cold"}, "rest"),
        ({"fields": {"team_size": "201-500", "company": "Acme"}}, "big"),
        (
            {"email": "x@bigco.test", "fields": {"email_domain": "bigco.test", "company": "B"}},
            "bigco",
        ),
        ({"fields": {"company": None}}, "anonymous"),
        ({"fields": {"company": "Acme", "team_size": "11-50"}}, "rest"),
    ],
)
def test_a_branch_takes_the_first_case_that_holds(lead: dict[str, Any], template: str) -> None:
    lead = {"fields": {"company": "Acme"}, **lead}
    out = run_steps(sequence(BRANCHY), start("pick"), facts(**lead), now=MONDAY, config=config())
    assert [e.template for e in out.emails] == [template]
    assert out.log[0].detail is not None
    assert out.log[0].detail.endswith(template)
    assert (out.status, out.exit_reason) == ("completed", "completed")


SPLIT = """
key: s
name: Split
steps:
  - id: test
    split:
      - {name: A, weight: 3, goto: a}
      - {name: B, weight: 1, goto: b}
  - {id: a, email: offer-a, next: pause}
  - {id: b, email: offer-b, next: pause}
  - {id: pause, wait: 1d}
  - {id: after, email: follow-up}
"""


def test_a_split_draws_once_by_weight_and_labels_what_follows() -> None:
    steps = sequence(SPLIT)
    split = steps.step("test")
    assert isinstance(split, SplitStep)
    drawn = Counter(draw_variant(split, enrollment_id=i) for i in range(1, 4001))
    assert 0.72 < drawn["A"] / 4000 < 0.78
    assert [draw_variant(split, enrollment_id=7) for _ in range(3)] == [
        draw_variant(split, enrollment_id=7)
    ] * 3
    out = run_steps(steps, start("test", enrollment_id=7), facts(), now=MONDAY, config=config())
    name = out.variants["test"]
    assert out.emails[0].template == f"offer-{name.lower()}"
    assert out.emails[0].variant == name
    assert out.log[0].kind == "entered"
    assert out.log[0].variant == name
    later = run_steps(
        steps,
        start("pause", enrollment_id=7, started=True, variants=dict(out.variants)),
        facts(),
        now=MONDAY + timedelta(days=1),
        config=config(),
    )
    assert later.emails[0].variant == name  # the variant is remembered, not drawn again


def test_a_stored_variant_wins_over_a_new_draw() -> None:
    out = run_steps(
        sequence(SPLIT), start("test", variants={"test": "B"}), facts(), now=MONDAY, config=config()
    )
    assert out.emails[0].template == "offer-b"


def test_a_goal_step_converts_and_an_exit_step_completes_with_its_reason() -> None:
    steps = sequence(
        """
key: ends
name: Ends
steps:
  - id: pick
    branch:
      cases: [{when: {band: [hot]}, goto: won}]
      otherwise: out
  - {id: won, goal: booked a call}
  - {id: out, exit: not-a-fit}
"""
    )
    won = run_steps(steps, start("pick"), facts(band="hot"), now=MONDAY, config=config())
    assert (won.status, won.exit_reason, won.log[-1].kind) == (
        "converted",
        "goal:booked a call",
        "converted",
    )
    out = run_steps(steps, start("pick"), facts(band="cold"), now=MONDAY, config=config())
    assert (out.status, out.exit_reason, out.log[-1].kind) == (
        "completed",
        "not-a-fit",
        "completed",
    )


def test_a_loop_through_a_wait_sends_again_under_a_new_visit() -> None:
    steps = sequence(
        "{key: l, name: L, steps: [{id: a, email: welcome}, {id: w, wait: 1d, next: a}]}"
    )
    lots = config(max_emails_per_week=50)
    first = run_steps(steps, start("a"), facts(), now=MONDAY, config=lots)
    assert [(e.step_id, e.visit) for e in first.emails] == [("a", 1)]
    day = MONDAY + timedelta(days=1)
    again = run_steps(
        steps,
        start("w", started=True, visit=first.visit, due_at=day),
        facts(),
        now=day,
        config=lots,
    )
    assert [(e.step_id, e.visit) for e in again.emails] == [("a", 2)]
    assert (again.step_id, again.visit) == ("w", 2)


def test_a_run_stops_after_the_step_limit_even_on_a_loop_the_checks_would_refuse() -> None:
    always = Condition(bands=("hot", "warm", "cold"))
    spin = Sequence(
        key="spin",
        name="Spin",
        description="",
        goal="purchase",
        exit_on=frozenset({"unsubscribed", "consent_withdrawn"}),
        steps=(
            BranchStep(id="a", cases=((always, "b"),), otherwise="b"),
            BranchStep(id="b", cases=((always, "a"),), otherwise="a"),
        ),
    )
    out = run_steps(spin, start("a"), facts(band="hot"), now=MONDAY, config=config())
    assert out.steps_run == MAX_STEPS_PER_RUN
    assert (out.status, out.exit_reason, out.log[-1].kind) == ("exited", "error", "error")


def test_a_position_on_a_step_the_version_lacks_ends_with_an_error() -> None:
    out = run_steps(ONE_EMAIL, start("gone", started=True), facts(), now=MONDAY, config=config())
    assert (out.status, out.exit_reason) == ("exited", "error")
    assert "gone" in (out.error or "")
