"""Is one A/B arm better? Wilson intervals, the significance test and a "winner / not yet" verdict.

The verdict rule (documented in docs and the marketer's page):
- every arm needs at least `MIN_ENROLLED` (100) leads, and at least `MIN_EXPECTED` (5) conversions
  *and* non-conversions expected in each arm at the pooled rate: the textbook condition under which
  the normal / chi-square approximation holds. Before that the verdict is "not yet: too few leads",
  with about how many more leads per arm would detect the observed difference with 80% power
  (two-sided test at 5%), whatever the p-value says: peeking at a small sample picks noise;
- then the test: a two-proportion z-test (pooled) for two arms, a chi-square test of the arms ×
  converted table for more. p < 0.05 names the arm with the highest rate the winner; with more than
  two arms the leader must also beat the runner-up in a z-test at 0.05 / (arms − 1) (Bonferroni);
- otherwise "not yet: no significant difference", with the sample that would settle it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats

ALPHA = 0.05
POWER = 0.8
MIN_ENROLLED = 100
MIN_EXPECTED = 5
_Z95 = float(stats.norm.ppf(0.975))
VERDICT_RULE = (
    f"A winner is named on conversions only when every arm has at least {MIN_ENROLLED} leads and "
    f"{MIN_EXPECTED} conversions expected at the pooled rate, and the test (a two-proportion "
    f"z-test for two arms, chi-square for more, where the leader must also beat the runner-up "
    f"at {ALPHA:g} / (arms - 1)) gives p < {ALPHA:g}. Until then: not yet, with about how many "
    f"more leads per arm would show the observed gap with {POWER:.0%} power."
)


@dataclass(frozen=True)
class Rate:
    """A count out of a total, its rate and the rate's 95% Wilson interval."""

    count: int
    total: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class Arm:
    """One arm's outcome on the tested metric."""

    name: str
    successes: int
    total: int


@dataclass(frozen=True)
class Verdict:
    """Which arm wins, or why it is too early to say."""

    outcome: Literal["winner", "not_yet"]
    winner: str | None
    reason: str
    test: str
    p_value: float | None
    more_per_arm: int | None

    @property
    def summary(self) -> str:
        """Return the verdict in one line: "winner: B" or "not yet: <reason>"."""
        return f"winner: {self.winner}" if self.winner else f"not yet: {self.reason}"


def wilson(count: int, total: int) -> Rate:
    """Return the rate of `count` in `total` with its 95% Wilson score interval."""
    if total <= 0:
        return Rate(count=count, total=total, rate=0.0, low=0.0, high=0.0)
    p = count / total
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = _Z95 * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    # At 0 and at all the bounds are exactly 0 and 1; rounding would leave a hair off them.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == total else min(1.0, centre + half)
    return Rate(count=count, total=total, rate=p, low=low, high=high)


def two_proportion_p(a: Arm, b: Arm) -> float:
    """Return the two-sided p-value of a pooled two-proportion z-test."""
    pooled = (a.successes + b.successes) / (a.total + b.total)
    variance = pooled * (1 - pooled) * (1 / a.total + 1 / b.total)
    if variance <= 0:
        return 1.0  # both arms all-or-nothing alike: no evidence of a difference
    z = (a.successes / a.total - b.successes / b.total) / math.sqrt(variance)
    return float(2 * stats.norm.sf(abs(z)))


def chi_square_p(arms: Sequence[Arm]) -> float:
    """Return the p-value of a chi-square test of independence of arm and outcome."""
    table = [[a.successes, a.total - a.successes] for a in arms]
    if sum(row[0] for row in table) == 0 or sum(row[1] for row in table) == 0:
        return 1.0
    result = stats.chi2_contingency(table, correction=False)
    return float(result.pvalue)


def p_value(arms: Sequence[Arm]) -> tuple[str, float]:
    """Return the test used for these arms and its p-value."""
    if len(arms) == 2:
        return "two-proportion z-test", two_proportion_p(arms[0], arms[1])
    return "chi-square test", chi_square_p(arms)


def sample_per_arm(p1: float, p2: float) -> int | None:
    """Return the leads per arm that detect p1 vs p2 with 80% power at 5% (None: no gap)."""
    if p1 == p2:
        return None
    z_alpha, z_beta = float(stats.norm.ppf(1 - ALPHA / 2)), float(stats.norm.ppf(POWER))
    mean = (p1 + p2) / 2
    spread = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(spread * spread / ((p1 - p2) ** 2))


def verdict(arms: Sequence[Arm]) -> Verdict:
    """Return the verdict on arms' successes (see the module's rule)."""
    empty = [a.name for a in arms if a.total == 0]
    if len(arms) < 2 or empty:
        reason = f"no leads in {', '.join(empty)} yet" if empty else "a test needs two arms"
        return Verdict("not_yet", None, reason, "none", None, None)
    test, p = p_value(arms)
    ranked = sorted(arms, key=lambda a: a.successes / a.total, reverse=True)
    leader, runner = ranked[0], ranked[1]
    more = _more_per_arm(arms, leader, runner)
    short = _too_small(arms)
    if short:
        more_text = f"; about {more} more per arm needed" if more else ""
        power = " at the observed rates for 80% power" if more else ""
        return Verdict("not_yet", None, f"too few leads ({short}){more_text}{power}", test, p, more)
    if p >= ALPHA:
        hint = f"; about {more} more per arm would show a gap this size" if more else ""
        reason = f"no significant difference (p = {p:.2g}){hint}"
        return Verdict("not_yet", None, reason, test, p, more)
    if len(arms) > 2:
        pair_p = two_proportion_p(leader, runner)
        if pair_p >= ALPHA / (len(arms) - 1):
            reason = (
                f"the arms differ (p = {p:.2g}) but {leader.name} is not clearly ahead of "
                f"{runner.name} (p = {pair_p:.2g})"
            )
            return Verdict("not_yet", None, reason, test, p, more)
    reason = f"{leader.name} converts best, significant at p = {p:.2g}"
    return Verdict("winner", leader.name, reason, test, p, None)


def _too_small(arms: Sequence[Arm]) -> str:
    """Return why the sample is below the minimum ('' when it is not)."""
    small = [a.name for a in arms if a.total < MIN_ENROLLED]
    if small:
        has = "has" if len(small) == 1 else "each have"
        return f"{' and '.join(small)} {has} fewer than {MIN_ENROLLED} leads"
    pooled = sum(a.successes for a in arms) / sum(a.total for a in arms)
    expected = min(min(pooled, 1 - pooled) * a.total for a in arms)
    if expected < MIN_EXPECTED:
        return f"fewer than {MIN_EXPECTED} conversions expected per arm"
    return ""


def _more_per_arm(arms: Sequence[Arm], leader: Arm, runner: Arm) -> int | None:
    """Return how many more leads the smallest arm needs (None: the rates are equal so far)."""
    p1, p2 = leader.successes / leader.total, runner.successes / runner.total
    powered = sample_per_arm(p1, p2)
    if powered is None:
        return None
    pooled = sum(a.successes for a in arms) / sum(a.total for a in arms)
    floor = max(MIN_ENROLLED, math.ceil(MIN_EXPECTED / min(pooled, 1 - pooled)))
    return max(0, max(powered, floor) - min(a.total for a in arms))
