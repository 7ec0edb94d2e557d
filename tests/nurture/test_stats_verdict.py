"""The A/B verdict: intervals, tests and the rule that names a winner only when it is earned."""

from __future__ import annotations

import pytest
from scipy import stats

from nurture.significance import (
    MIN_ENROLLED,
    Arm,
    chi_square_p,
    sample_per_arm,
    two_proportion_p,
    verdict,
    wilson,
)


def test_the_wilson_interval_matches_the_textbook_value() -> None:
    rate = wilson(10, 100)
    assert rate.rate == pytest.approx(0.10)
    assert rate.low == pytest.approx(0.0552, abs=1e-4)
    assert rate.high == pytest.approx(0.1744, abs=1e-4)
    assert wilson(0, 50).low == 0.0
    assert wilson(50, 50).high == pytest.approx(1.0)
    assert wilson(0, 0).rate == 0.0


def test_the_z_test_agrees_with_chi_square_on_two_arms() -> None:
    a, b = Arm("A", 20, 200), Arm("B", 45, 200)
    table = [[20, 180], [45, 155]]
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert two_proportion_p(a, b) == pytest.approx(expected)
    assert chi_square_p([a, b]) == pytest.approx(expected)


def test_the_sample_size_is_the_standard_formula() -> None:
    # 10% vs 15%, two-sided 5%, 80% power: 686 per arm (Fleiss, no continuity correction).
    assert sample_per_arm(0.10, 0.15) == 686
    assert sample_per_arm(0.2, 0.2) is None


def test_a_clear_winner_is_named() -> None:
    result = verdict([Arm("A", 20, 200), Arm("B", 45, 200)])
    assert result.outcome == "winner"
    assert result.winner == "B"
    assert result.summary == "winner: B"
    assert result.p_value is not None
    assert result.p_value < 0.001
    assert result.test == "two-proportion z-test"


def test_a_tie_is_not_yet_with_no_significant_difference() -> None:
    result = verdict([Arm("A", 30, 300), Arm("B", 30, 300)])
    assert result.outcome == "not_yet"
    assert result.winner is None
    assert result.summary.startswith("not yet: no significant difference")
    assert result.more_per_arm is None  # equal rates: no sample would show a gap


def test_a_small_gap_says_how_many_more_leads_would_show_it() -> None:
    result = verdict([Arm("A", 30, 300), Arm("B", 36, 300)])
    assert result.outcome == "not_yet"
    assert "no significant difference (p = 0.43)" in result.reason
    assert result.more_per_arm == sample_per_arm(0.10, 0.12) - 300  # type: ignore[operator]


def test_too_few_leads_is_not_yet_even_when_p_is_small() -> None:
    # p < 0.05 already, but 50 leads an arm is below the minimum: peeking would pick noise.
    result = verdict([Arm("A", 0, 50), Arm("B", 10, 50)])
    assert result.p_value is not None
    assert result.p_value < 0.05
    assert result.outcome == "not_yet"
    assert result.reason.startswith(f"too few leads (A and B each have fewer than {MIN_ENROLLED}")
    assert result.more_per_arm == MIN_ENROLLED - 50
    assert "80% power" in result.reason


def test_too_few_conversions_is_not_yet() -> None:
    result = verdict([Arm("A", 1, 150), Arm("B", 0, 150)])
    assert result.outcome == "not_yet"
    assert "fewer than 5 conversions expected per arm" in result.reason
    nothing = verdict([Arm("A", 0, 150), Arm("B", 0, 150)])
    assert nothing.outcome == "not_yet"
    assert nothing.more_per_arm is None


def test_an_arm_without_leads_is_not_yet() -> None:
    result = verdict([Arm("A", 5, 120), Arm("B", 0, 0)])
    assert result.summary == "not yet: no leads in B yet"


def test_three_arms_use_chi_square_and_the_leader_must_beat_the_runner_up() -> None:
    clear = verdict([Arm("A", 20, 200), Arm("B", 60, 200), Arm("C", 22, 200)])
    assert clear.test == "chi-square test"
    assert clear.winner == "B"
    close = verdict([Arm("A", 20, 200), Arm("B", 45, 200), Arm("C", 44, 200)])
    assert close.outcome == "not_yet"
    assert "B is not clearly ahead of C" in close.reason
