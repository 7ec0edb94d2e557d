"""Preview helpers: steps in words, leads found by email, a step's email for a real lead."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.errors import LeadNotFound
from nurture.config import NurtureConfig
from nurture.errors import SequenceNotFound, StepNotFound
from nurture.preview import describe_step, find_leads, preview_step
from nurture.sequence_file import parse_sequence
from tests.nurture.factories_stats import add_templates, make_lead, prospect, save

CONFIG = NurtureConfig(public_url="http://clinch.test", company_name="Acme", sender="hi@acme.test")
DESCRIBED = """
key: words
name: Words
steps:
  - {id: hello, email: welcome}
  - {id: nap, wait: 1d 12h}
  - {id: tuesday, wait: {until: {weekday: tue, time: "10:00"}}}
  - id: looked
    branch:
      cases:
        - {when: {event: pricing_view, within: 7d}, goto: test}
        - {when: {field: team_size, in: ["1-10", "11-50"]}, goto: test}
      otherwise: won
  - id: test
    split:
      - {name: A, weight: 3, goto: won}
      - {name: B, weight: 1, goto: bye}
  - {id: won, goal: demo booked}
  - {id: bye, exit: not-interested}
"""


def test_every_kind_of_step_reads_as_words() -> None:
    steps = parse_sequence(DESCRIBED, templates=None).sequence.steps
    assert [describe_step(s) for s in steps] == [
        "send welcome",
        "wait 1d 12h",
        "wait until tue 10:00",
        "if event pricing_view within 7d → test; if team_size in 1-10, 11-50 → test; "
        "otherwise → won",
        "A/B split: A 75% → won, B 25% → bye",
        "goal reached: demo booked",
        "end: not-interested",
    ]


def test_leads_are_found_by_a_part_of_their_email(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        ann = make_lead(session, email="ann_lee@find.example", name="Ann Lee")
        make_lead(session, email="annalee@find.example")
        make_lead(session, email="bob@elsewhere.example")
        found = find_leads(session, email="  ANN_")
        wild = find_leads(session, email="%")
        many = find_leads(session, email="example", limit=2)
    # "_" and "%" are letters here, not SQL wildcards.
    assert [(m.id, m.email, m.name) for m in found] == [(ann, "ann_lee@find.example", "Ann Lee")]
    assert wild == []
    assert [m.email for m in many] == ["ann_lee@find.example", "annalee@find.example"]


def test_a_step_renders_for_a_lead_and_refuses_what_is_not_an_email(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        save(session)
        lead = prospect(session, email="rita@preview.example", name="Rita Ramos")
        shown = preview_step(
            session, key="ab", step_id="offer-a", lead_id=lead, config=CONFIG, catalog=None
        )
        with pytest.raises(StepNotFound, match="'pause' is a wait step"):
            preview_step(
                session, key="ab", step_id="pause", lead_id=lead, config=CONFIG, catalog=None
            )
        with pytest.raises(StepNotFound, match="no step 'nope'"):
            preview_step(
                session, key="ab", step_id="nope", lead_id=lead, config=CONFIG, catalog=None
            )
        with pytest.raises(LeadNotFound):
            preview_step(
                session, key="ab", step_id="offer-a", lead_id=9999, config=CONFIG, catalog=None
            )
        with pytest.raises(SequenceNotFound):
            preview_step(
                session,
                key="ab",
                step_id="offer-a",
                lead_id=lead,
                config=CONFIG,
                catalog=None,
                version=2,
            )
    assert (shown.key, shown.version, shown.template, shown.to) == (
        "ab",
        1,
        "offer-a",
        "rita@preview.example",
    )
    assert shown.subject == "offer-a for Rita"
    assert shown.text == "Hello Rita, this is offer-a."
    assert shown.html == "<p>Hello Rita, this is <b>offer-a</b>.</p>"
