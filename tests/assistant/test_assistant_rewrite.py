"""Follow-up messages become stand-alone queries; stand-alone messages pass through."""

from __future__ import annotations

import pytest

from assistant.rewrite import rewrite_followup

TEAM = "How much is the Team plan?"
SSO = "Does Quillstack support SSO?"
SCIM = "Does Quillstack support SCIM?"
SLACK = "Does Quillstack integrate with Slack?"
BACKUPS = "How does Quillstack handle backups?"
DOMAIN = "Can we use a custom domain?"


JOINED = [
    # appended modifier
    ([TEAM], "and the annual one?", "How much is the Team plan annual?"),
    # slot swaps: plan, billing period
    ([TEAM], "what about Business?", "How much is the Business plan?"),
    ([TEAM, "thanks!"], "and for enterprise?", "How much is the Enterprise plan?"),
    ([f"{TEAM[:-1]} per month?"], "and per year?", f"{TEAM[:-1]} per year?"),
    ([TEAM, "what about Business?"], "and annually?", "How much is the Business plan annually?"),
    # name swaps
    ([SSO], "what about SCIM?", "Does Quillstack support SCIM?"),
    ([SSO], "How about SCIM provisioning?", "Does Quillstack support SCIM provisioning?"),
    ([SLACK], "What about Jira?", "Does Quillstack integrate with Jira?"),
    (["Hi! Does Quillstack support SSO? We are 20 people."], "what about SCIM?", SCIM),
    # pronoun fill
    ([TEAM], "does it include SSO?", "does the Team plan include SSO?"),
    ([SSO], "Is that included in the Team plan?", "Is SSO included in the Team plan?"),
    ([BACKUPS], "is it SOC 2 compliant?", "is Quillstack SOC 2 compliant?"),
    # nothing for the pronoun to point to: both questions are kept
    ([DOMAIN], "also, how much does that cost?", f"{DOMAIN} how much does that cost?"),
    # a fragment without a connective
    (["How do I export pages?"], "PDF?", "How do I export pages PDF?"),
]


@pytest.mark.parametrize(("history", "text", "expected"), JOINED)
def test_followups_are_joined_to_their_topic(history: list[str], text: str, expected: str) -> None:
    assert rewrite_followup(text, history) == expected


def test_product_names_are_never_swapped() -> None:
    history = ["Can I connect Slack to Quillstack?"]
    assert rewrite_followup("and Jira?", history, product_names=["Quillstack"]) == (
        "Can I connect Jira to Quillstack?"
    )


@pytest.mark.parametrize(
    ("history", "text"),
    [
        ([SSO], "Can I import from Confluence?"),
        ([SSO], "And do you have an API?"),  # a connective, then a whole question
        ([SSO], "Is it possible to export PDFs?"),  # "it" points at nothing
        ([SSO], "Is there a plan that includes audit logs?"),  # "that" is a relative pronoun
        ([SSO], "thanks"),
        ([SSO], "I want to talk to a person"),
        ([], "and the annual one?"),  # no topic to join
        (["hello", "thanks"], "what about SCIM?"),  # small talk is no topic
        ([TEAM], "We are a team of 40 writers and need SSO, audit logs and SCIM."),
    ],
)
def test_standalone_messages_are_unchanged(history: list[str], text: str) -> None:
    assert rewrite_followup(text, history) == text


def test_standalone_message_is_stripped() -> None:
    assert rewrite_followup("  Does Quillstack support SAML?\n", [SSO]) == (
        "Does Quillstack support SAML?"
    )
