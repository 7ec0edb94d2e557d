"""Plain words for every lead-store feature."""

from __future__ import annotations

import pytest

from scoring.features import FEATURE_NAMES
from scoring.reason_words import PHRASES


def test_every_store_feature_has_words() -> None:
    assert set(PHRASES) == set(FEATURE_NAMES)


@pytest.mark.parametrize(
    ("feature", "value", "words"),
    [
        ("pricing_views_7d", 4.0, "Viewed pricing 4 times in the last 7 days"),
        ("pricing_views_1d", 1.0, "Viewed pricing once in the last day"),
        ("page_views_30d", 1.0, "Viewed 1 page in the last 30 days"),
        ("team_size_band", "1-10", "Company size 1-10"),
        ("team_size_band", None, "Company size unknown"),
        ("marketing_consent", 0.0, "No marketing consent"),
        ("trial_started", 1.0, "Started a trial"),
        ("pricing_share", 0.25, "25% of page views on pricing"),
        ("first_channel", "organic_search", "First came from organic search"),
        ("days_since_last_activity", None, "No activity yet"),
        ("days_since_last_activity", 12.4, "Last active 12 days ago"),
        ("days_since_last_activity", 0.2, "Active today"),
        ("days_since_first_touch", 1.1, "First seen 1 day ago"),
    ],
)
def test_words(feature: str, value: float | str | None, words: str) -> None:
    assert PHRASES[feature](value) == words
