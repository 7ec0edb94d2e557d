"""The funnel, the A/B results and the overview, counted by SQL on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from nurture import stats
from nurture.errors import SequenceNotFound
from tests.nurture.factories_stats import AB_SEQUENCE, AT, enroll, log, save, send, split_arm


def _history(session: Session, sequence_id: int) -> None:
    """Four leads: one through to the end, one converts, one exits, one waits."""
    through = enroll(session, sequence_id=sequence_id, status="completed", step_id=None)
    log(
        session,
        through,
        ("welcome", "entered"),
        ("pause", "entered"),
        ("welcome", "entered"),  # a second visit still counts the enrollment once
        ("offer-test", "entered"),
        ("offer-a", "entered"),
        ("done", "entered"),
        ("done", "completed"),
    )
    send(session, through, step_id="welcome", clicked=True)
    send(session, through, step_id="offer-a", template="offer-a")
    buyer = enroll(session, sequence_id=sequence_id, status="converted", step_id="pause")
    log(session, buyer, ("welcome", "entered"), ("pause", "entered"), ("pause", "converted"))
    send(session, buyer, step_id="welcome")
    gone = enroll(session, sequence_id=sequence_id, status="exited", step_id="welcome")
    log(session, gone, ("welcome", "entered"), ("welcome", "exited"))
    send(session, gone, step_id="welcome", status="suppressed")
    waiting = enroll(session, sequence_id=sequence_id, step_id="pause")
    log(session, waiting, ("welcome", "entered"), ("pause", "entered"))
    send(session, waiting, step_id="welcome", at=AT - timedelta(days=8))


def test_the_funnel_counts_each_step_in_definition_order(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        sequence_id = save(session)
        _history(session, sequence_id)
        funnel = stats.funnel(session, key="ab", version=1)
    assert [s.step_id for s in funnel.steps] == [
        "welcome",
        "pause",
        "offer-test",
        "offer-a",
        "offer-b",
        "done",
    ]
    by_id = {s.step_id: s for s in funnel.steps}
    welcome = by_id["welcome"]
    assert (welcome.kind, welcome.template, welcome.goes_to) == ("email", "welcome", ("pause",))
    assert (welcome.entered, welcome.sent, welcome.clicked, welcome.exited) == (4, 3, 1, 1)
    pause = by_id["pause"]
    assert (pause.kind, pause.entered, pause.converted, pause.waiting, pause.sent) == (
        "wait",
        3,
        1,
        1,
        0,
    )
    assert by_id["offer-test"].kind == "split"
    assert by_id["offer-test"].goes_to == ("offer-a", "offer-b")
    assert (by_id["offer-a"].entered, by_id["offer-a"].sent) == (1, 1)
    assert by_id["offer-b"].entered == 0
    assert (by_id["done"].entered, by_id["done"].completed) == (1, 1)
    assert (funnel.enrolled, funnel.active, funnel.converted, funnel.exited, funnel.completed) == (
        4,
        1,
        1,
        1,
        1,
    )


def test_the_funnel_of_one_version_leaves_the_others_out(
    sessions: sessionmaker[Session],
) -> None:
    edited = AB_SEQUENCE.replace("  - {id: pause, wait: 2d}\n", "  - {id: nudge, wait: 1d}\n")
    with unit_of_work(sessions) as session:
        sequence_id = save(session)
        _history(session, sequence_id)
        save(session, edited, at=AT + timedelta(hours=1))
        later = enroll(session, sequence_id=sequence_id, version=2, step_id="nudge")
        log(session, later, ("welcome", "entered"), ("nudge", "entered"))
        first = stats.funnel(session, key="ab", version=1)
        second = stats.funnel(session, key="ab", version=2)
        every = stats.funnel(session, key="ab")
        with pytest.raises(SequenceNotFound, match="no version 3"):
            stats.funnel(session, key="ab", version=3)
        with pytest.raises(SequenceNotFound, match="no sequence has key 'nope'"):
            stats.funnel(session, key="nope")
    assert first.enrolled == 4
    assert {s.step_id: s.entered for s in second.steps}["welcome"] == 1
    assert "pause" not in [s.step_id for s in second.steps]
    # Every version: the latest's order, then steps only older versions had.
    assert [s.step_id for s in every.steps][:2] == ["welcome", "nudge"]
    assert [s.step_id for s in every.steps][-1] == "pause"
    assert {s.step_id: s.entered for s in every.steps}["welcome"] == 5
    assert every.version is None
    assert every.enrolled == 5


def test_ab_results_name_the_winner_from_the_store(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        sequence_id = save(session)
        split_arm(
            session, sequence_id=sequence_id, variant="A", leads=200, clicked=60, converted=20
        )
        split_arm(
            session, sequence_id=sequence_id, variant="B", leads=200, clicked=90, converted=45
        )
        # A click on an email sent before the split is not the arm's click.
        early = enroll(
            session, sequence_id=sequence_id, status="completed", variants={"offer-test": "A"}
        )
        send(session, early, step_id="welcome", clicked=True, at=AT - timedelta(days=2))
        log(session, early, ("offer-test", "entered"))
        (result,) = stats.ab_results(session, key="ab")
    assert result.step_id == "offer-test"
    a, b = result.arms
    assert (a.variant, a.enrolled, a.clicked.count, a.converted.count) == ("A", 201, 60, 20)
    assert (b.variant, b.enrolled, b.clicked.count, b.converted.count) == ("B", 200, 90, 45)
    assert b.converted.rate == pytest.approx(0.225)
    assert b.converted.low < 0.225 < b.converted.high
    assert result.verdict.summary == "winner: B"
    assert result.click_p_value is not None
    assert result.click_p_value < 0.01


def test_ab_results_of_a_young_test_say_not_yet(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        sequence_id = save(session)
        split_arm(session, sequence_id=sequence_id, variant="A", leads=12, converted=1)
        split_arm(session, sequence_id=sequence_id, variant="B", leads=10, converted=3)
        (result,) = stats.ab_results(session, key="ab", version=1)
    assert result.verdict.outcome == "not_yet"
    assert result.verdict.reason.startswith("too few leads")
    assert result.verdict.more_per_arm is not None
    assert result.verdict.more_per_arm > 0


def test_a_sequence_without_a_split_has_no_ab_results(sessions: sessionmaker[Session]) -> None:
    plain = "key: plain\nname: Plain\nsteps:\n  - {id: welcome, email: welcome}\n"
    with unit_of_work(sessions) as session:
        save(session, plain)
        assert stats.ab_results(session, key="plain") == []


def test_the_overview_counts_every_sequence(sessions: sessionmaker[Session]) -> None:
    plain = "key: plain\nname: Plain\nsteps:\n  - {id: welcome, email: welcome}\n"
    with unit_of_work(sessions) as session:
        sequence_id = save(session)
        save(session, plain)
        _history(session, sequence_id)
        rows = stats.overview(session, now=AT + timedelta(hours=2))
    ab, empty = rows
    assert (ab.key, ab.name, ab.active, ab.latest_version, ab.versions, ab.steps) == (
        "ab",
        "A/B offers",
        True,
        1,
        1,
        6,
    )
    assert (ab.enrolled, ab.active_enrollments, ab.converted) == (4, 1, 1)
    assert ab.conversion_rate == pytest.approx(0.25)
    assert ab.sent_last_7_days == 3  # the waiting lead's welcome went out 8 days ago
    assert (empty.key, empty.enrolled, empty.conversion_rate, empty.sent_last_7_days) == (
        "plain",
        0,
        0.0,
        0,
    )
