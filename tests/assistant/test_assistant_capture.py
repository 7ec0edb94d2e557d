"""Lead facts are taken only from what a prospect said; one qualifying question at a time."""

from __future__ import annotations

import pytest

from assistant.capture import QUALIFYING_QUESTIONS, extract_profile, next_qualifying_question


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names
        ("Hi, I'm Ana Lopez", {"name": "Ana Lopez"}),
        ("my name is ana lopez", {"name": "Ana Lopez"}),
        ("This is Bob Smith from Initech", {"name": "Bob Smith", "company": "Initech"}),
        ("Ana here, from Acme", {"name": "Ana", "company": "Acme"}),
        # email
        ("Reach me at Ana.Lopez@Acme.io please", {"email": "ana.lopez@acme.io"}),
        # companies
        ("I work at Acme", {"company": "Acme"}),
        ("Our company is called Wayne Enterprises", {"company": "Wayne Enterprises"}),
        ("I'm with Pied Piper", {"company": "Pied Piper"}),
        ("Greetings from Acme Corp.", {"company": "Acme Corp"}),
        # roles (and the company after them)
        ("I'm the CTO at Globex", {"role": "CTO", "company": "Globex"}),
        ("As an engineering manager, I care about search", {"role": "engineering manager"}),
        ("I'm a technical writer at Hooli", {"role": "technical writer", "company": "Hooli"}),
        (
            "I'm Ana Lopez, the head of docs at Globex",
            {"name": "Ana Lopez", "role": "head of docs", "company": "Globex"},
        ),
        # team size
        ("we are 12 people", {"team_size": "12"}),
        ("We're a team of 40", {"team_size": "40"}),
        ("about 200 employees", {"team_size": "200"}),
        ("We're a 30-person startup", {"team_size": "30"}),
        ("somewhere between 50 and 100 people", {"team_size": "50-100"}),
        ("roughly twenty engineers", {"team_size": "20"}),
        ("we have 1,500+ employees", {"team_size": "1500+"}),
        # timeline
        ("We'd like to roll out this quarter", {"timeline": "this quarter"}),
        ("we need it next month", {"timeline": "next month"}),
        ("ideally within 2 weeks", {"timeline": "within 2 weeks"}),
        ("We have to be live by January", {"timeline": "by January"}),
        # budget
        ("We have a budget of $5,000", {"budget": "$5,000"}),
        ("We're thinking around 2k a month", {"budget": "2k a month"}),
        ("we can spend up to $10k a year", {"budget": "$10k a year"}),
        # use case
        ("we want to use it for API docs", {"use_case": "API docs"}),
        ("We need something for our internal wiki", {"use_case": "internal wiki"}),
        (
            "Our use case is customer-facing help center",
            {"use_case": "customer-facing help center"},
        ),
        # several at once
        (
            "I'm the CTO at Globex and we are 12 people, hoping to start next month",
            {"role": "CTO", "company": "Globex", "team_size": "12", "timeline": "next month"},
        ),
    ],
)
def test_volunteered_facts_are_captured(text: str, expected: dict[str, str]) -> None:
    assert extract_profile(text).known() == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm interested in pricing",  # not a name
        "Can we talk at 5pm?",  # not a company
        "I'm not sure yet",
        "I'm happy with Notion so far",
        "This is great",
        "We host our docs at GitHub right now",  # where the docs live, not the employer
        "Is the Team plan around $8 a month?",  # a price question, not a budget
        "Can I use it for free?",  # not a use case
        "I'm looking for a tool for our engineering team",  # the audience, not the use case
        "We've used Confluence for 2 years",  # not a timeline
        "The export takes 12 minutes",  # not a team size
        "How much is it for 10 months?",
        "As a result, search got slower",  # not a role
        "my name is not important",
        "",
    ],
)
def test_nothing_is_guessed(text: str) -> None:
    assert extract_profile(text).known() == {}


def test_team_size_next_to_a_price_is_not_the_price() -> None:
    facts = extract_profile("Is there a discount for our team of 12? We saw $8 per seat.")
    assert facts.team_size == "12"
    assert facts.budget is None


@pytest.mark.parametrize(
    ("known", "field"),
    [
        ({}, "team_size"),
        ({"name": "Ana", "email": "ana@acme.io"}, "team_size"),
        ({"team_size": "12"}, "use_case"),
        ({"team_size": "12", "use_case": "API docs"}, "timeline"),
        ({"team_size": "12", "use_case": "API docs", "timeline": "next month"}, "role"),
        ({"team_size": "", "use_case": "API docs"}, "team_size"),  # blank counts as missing
    ],
)
def test_next_question_asks_about_the_most_useful_missing_field(
    known: dict[str, str], field: str
) -> None:
    assert next_qualifying_question(known) == dict(QUALIFYING_QUESTIONS)[field]


def test_no_question_once_everything_is_known() -> None:
    known = {"team_size": "12", "use_case": "API docs", "timeline": "Q3", "role": "CTO"}
    assert next_qualifying_question(known) is None


def test_questions_are_single_friendly_sentences() -> None:
    for _, question in QUALIFYING_QUESTIONS:
        assert question.endswith("?")
        assert question.count("?") == 1
        assert "." not in question
