"""Sequence files: what they may say, every problem named, and versions kept per edit."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from leads.nurture_models import NurtureTemplate
from nurture import sequences
from nurture.definition import BranchStep, EmailStep, SplitStep, WaitStep
from nurture.errors import InvalidSequence, SequenceNotFound
from nurture.sequence_file import parse_sequence

AT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
TEMPLATES = {"welcome", "offer", "offer-short"}
GOOD = """
key: smb
name: Small teams
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - id: read-pricing
    branch:
      cases:
        - {when: {event: pricing_view, within: 14d}, goto: offer}
        - {when: {field: team_size, in: ["1-10"]}, goto: test}
      otherwise: tuesday
  - {id: tuesday, wait: {until: {weekday: tue, time: "10:00"}}, next: pause}
  - id: test
    split:
      - {name: A, weight: 3, goto: offer}
      - {name: B, goto: offer-short}
  - {id: offer, email: offer, next: done}
  - {id: offer-short, email: offer-short}
  - {id: done, exit: completed}
"""


def _problems(text: str, templates: set[str] | None = TEMPLATES) -> str:
    with pytest.raises(InvalidSequence) as caught:
        parse_sequence(text, source="smb.yaml", templates=templates)
    return caught.value.message


def test_a_good_file_becomes_steps_that_know_where_they_go() -> None:
    sequence = parse_sequence(GOOD, templates=TEMPLATES).sequence
    assert sequence.first == "welcome"
    welcome, pause = sequence.step("welcome"), sequence.step("pause")
    assert isinstance(welcome, EmailStep)
    assert welcome.next == "pause"
    assert isinstance(pause, WaitStep)
    assert pause.duration == timedelta(days=2)
    tuesday = sequence.step("tuesday")
    assert isinstance(tuesday, WaitStep)
    assert (tuesday.weekday, tuesday.at, tuesday.next) == (1, time(10, 0), "pause")
    branch = sequence.step("read-pricing")
    assert isinstance(branch, BranchStep)
    assert branch.cases[0][0].within == timedelta(days=14)
    assert branch.cases[1][0].one_of == ("1-10",)
    split = sequence.step("test")
    assert isinstance(split, SplitStep)
    assert [(v.name, v.weight) for v in split.variants] == [("A", 3.0), ("B", 1.0)]
    # offer-short is followed by done; the unsubscribe exits are always on.
    assert sequence.step("offer-short").next == "done"  # type: ignore[union-attr]
    assert {"unsubscribed", "consent_withdrawn", "purchased"} <= sequence.exit_on
    assert sequence.templates == TEMPLATES


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("email: offer,", "email: ofer,"), "steps[5] (offer): unknown template 'ofer' (did you"),
        (("goto: test", "goto: tset"), "goes to unknown step 'tset' (did you mean 'test'?)"),
        (("wait: 2d", "wiat: 2d"), "steps[1].wiat: unknown key (did you mean `wait`?)"),
        (("wait: 2d", "wait: 2 days"), "'2 days' is not a duration; write minutes, hours"),
        (('time: "10:00"', 'time: "25:00"'), "'25:00' is not a time of day as HH:MM"),
        (("pricing_view", "pricing_veiw"), "'pricing_veiw' is not an event type"),
        (("weight: 3", "weight: 0"), "steps[4].split[0].weight: Input should be greater than 0"),
        (("id: pause,", "id: welcome,"), "step id 'welcome' is used twice"),
        (
            ("{id: welcome, email: welcome}", "{id: welcome, email: welcome, wait: 1d}"),
            "a step is exactly one of email, wait, branch, split, goal, exit; this one has email,",
        ),
    ],
)
def test_each_problem_is_named_where_it_is(change: tuple[str, str], expected: str) -> None:
    assert expected in _problems(GOOD.replace(*change))


def test_a_step_no_path_leads_to_is_unreachable() -> None:
    text = GOOD.replace("next: pause}", "next: done}").replace("goto: test", "goto: offer")
    message = _problems(text)
    assert "step 'test' can never be reached from the first step 'welcome'" in message
    assert "step 'offer-short' can never be reached" in message


def test_a_loop_without_a_wait_is_refused_and_one_with_a_wait_is_fine() -> None:
    no_wait = GOOD.replace(
        '{id: tuesday, wait: {until: {weekday: tue, time: "10:00"}}, next: pause}',
        "{id: tuesday, email: welcome, next: read-pricing}",
    )
    assert "the loop read-pricing → tuesday → read-pricing has no wait" in _problems(no_wait)
    parse_sequence(GOOD, templates=TEMPLATES)  # tuesday → pause → read-pricing waits twice


def test_templates_are_checked_only_against_a_library_when_one_is_given() -> None:
    parse_sequence(GOOD, templates=None)
    assert "unknown template 'welcome' (none are defined)" in _problems(GOOD, templates=set())


def test_json_is_accepted_and_what_is_not_a_mapping_is_refused() -> None:
    parsed = parse_sequence(
        '{"key": "j", "name": "J", "steps": [{"id": "a", "wait": "1h"}]}', templates=set()
    )
    assert parsed.sequence.key == "j"
    assert "expected a mapping with `key:`" in _problems("- just\n- a list\n")
    assert "not YAML or JSON" in _problems("key: [unclosed\n")


def _library(session: Session) -> None:
    for name in TEMPLATES:
        session.add(NurtureTemplate(name=name, subject="s", text="t", content_hash="h"))
    session.flush()


def test_an_edit_is_a_new_version_and_an_unchanged_save_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        _library(session)
        first = sequences.save_sequence(
            session, sequences.check(session, _data(GOOD), source="a"), source="a", actor="t", at=AT
        )
        again = sequences.save_sequence(
            session, sequences.check(session, _data(GOOD), source="a"), source="a", actor="t", at=AT
        )
        edited = GOOD.replace("wait: 2d", "wait: 3d")
        second = sequences.save_sequence(
            session,
            sequences.check(session, _data(edited), source="b"),
            source="b",
            actor="t",
            at=AT,
        )
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created) == (1, False)
    assert (second.version, second.created) == (2, True)
    with sessions() as session:
        _, old = sequences.load_version(session, key="smb", version=1)
        _, new = sequences.load_version(session, key="smb")
        assert old.step("pause").duration == timedelta(days=2)  # type: ignore[union-attr]
        assert new.step("pause").duration == timedelta(days=3)  # type: ignore[union-attr]
        assert [v.version for v in sequences.versions(session, key="smb")] == [2, 1]
        [summary] = sequences.summaries(session)
        assert (summary.latest_version, summary.steps, summary.active) == (2, 8, True)


def test_a_definition_naming_a_template_not_in_the_library_is_not_stored(
    sessions: sessionmaker[Session],
) -> None:
    with (
        sessions() as session,
        session.begin(),
        pytest.raises(InvalidSequence, match="unknown template 'welcome'"),
    ):
        sequences.check(session, _data(GOOD), source="a")
    with sessions() as session:
        assert sequences.summaries(session) == []
        with pytest.raises(SequenceNotFound, match="no sequence has key 'smb' \\(known: none"):
            sequences.load_version(session, key="smb")


def test_pausing_is_recorded_and_resuming_twice_is_harmless(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        _library(session)
        parsed = sequences.check(session, _data(GOOD), source="a")
        sequences.save_sequence(session, parsed, source="a", actor="t", at=AT)
        sequences.set_active(session, key="smb", active=False, actor="t", at=AT)
    with sessions() as session, session.begin():
        assert sequences.get_sequence(session, key="smb").active is False
        sequences.set_active(session, key="smb", active=True, actor="t", at=AT)
        sequences.set_active(session, key="smb", active=True, actor="t", at=AT)
        assert sequences.get_sequence(session, key="smb").active is True
        with pytest.raises(SequenceNotFound, match="no version 9"):
            sequences.load_version(session, key="smb", version=9)


def _data(text: str) -> object:
    import yaml

    return yaml.safe_load(text)
