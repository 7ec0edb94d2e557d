"""The grounding check: citations must exist, figures must come from the catalog or a source."""

from __future__ import annotations

import pytest

from assistant.grounding import check_answer, figures
from assistant.schemas import Citation

CITED = (Citation(n=1, title="Pricing", url=None, source="pricing.md"),)
SOURCES = {1: "The Team plan is $8.50 per seat per month and allows 50 seats, 20% off yearly."}


def test_figures_keep_currency_signs_and_skip_markers() -> None:
    assert figures("It costs $8.50 [1], or $1,020 a year for 12 seats; 20 % off.") == [
        "$8.50",
        "$1020",
        "12",
        "20%",
    ]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("The Team plan is $8.50 per seat per month [1].", True),
        ("It allows 50 seats [1].", True),
        ("You get 20% off yearly [1].", True),
        ("The Team plan is $7.50 per seat per month [1].", False),  # not in source or catalog
        ("The Team plan is $50 [1].", False),  # 50 is written, "$50" is not
        ("Yes, we can do $5 for you [1].", False),
        ("It allows 50 seats [2].", False),  # [2] was never given
        ("We have 30% off today [1].", False),
    ],
)
def test_answers_are_checked(text: str, ok: bool) -> None:
    result = check_answer(text, citations=CITED, sources=SOURCES)
    assert result.ok is ok, result.problems


def test_catalog_facts_pass_without_a_source() -> None:
    result = check_answer(
        "Business is $15 per seat per month.", citations=(), sources={}, allowed={"$15"}
    )
    assert result.ok
    refused = check_answer("Business is $12.", citations=(), sources={}, allowed={"$15"})
    assert refused.problems == ("$12 is neither in the catalog nor in a cited source",)
