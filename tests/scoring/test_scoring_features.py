"""Lead features on hand-built snapshots: windows, decay, traits, and no look into the future."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from leads.snapshots import EventRecord, LeadRecord
from scoring.features import (
    FEATURE_KINDS,
    FEATURE_NAMES,
    FEATURES_VERSION,
    compute_features,
    consent,
    decayed,
    email_engagement,
    firmographics,
    first_touch,
    intent_signals,
    milestones,
    recency,
    team_size_band,
    window_counts,
)
from scoring.lead_snapshot import LeadSnapshot, SnapshotEvent, snapshot_from_record

NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)


def ev(kind: str, days_ago: float, **properties: object) -> SnapshotEvent:
    """Return an event `days_ago` days before NOW."""
    return SnapshotEvent(
        type=kind,
        occurred_at=NOW - timedelta(days=days_ago),
        channel="paid_search",
        source="google",
        medium="cpc",
        properties=MappingProxyType(dict(properties)),
    )


def snap(*events: SnapshotEvent, profile: dict[str, str] | None = None) -> LeadSnapshot:
    """Return a snapshot of these events as of NOW."""
    ordered = tuple(sorted(events, key=lambda e: e.occurred_at))
    return LeadSnapshot(
        lead_id=1,
        as_of=NOW,
        marketing_consent=None,
        stored_profile=MappingProxyType(profile or {}),
        events=ordered,
    )


def test_feature_list_is_versioned_named_and_typed() -> None:
    assert FEATURES_VERSION
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert {kind for _, kind in FEATURE_KINDS} == {"numeric", "categorical"}
    assert not any("purchase" in name or "amount" in name for name in FEATURE_NAMES)
    features = compute_features(snap(ev("page_view", 1)), as_of=NOW)
    assert tuple(features) == FEATURE_NAMES


def test_window_counts_include_the_edge_inside_and_drop_the_edge_outside() -> None:
    events = [
        ev("pricing_view", 0),
        ev("pricing_view", 0.999),
        ev("pricing_view", 1.0),  # exactly one day old: in the 7-day window, not the 1-day one
        ev("pricing_view", 6.9),
        ev("pricing_view", 29.9),
        ev("pricing_view", 30.0),
        ev("docs_view", 3, path="/docs/a"),
    ]
    counts = window_counts(events, NOW)
    assert counts["pricing_views_1d"] == 2
    assert counts["pricing_views_7d"] == 4
    assert counts["pricing_views_30d"] == 5
    assert counts["docs_views_1d"] == 0
    assert counts["docs_views_7d"] == 1
    assert counts["chat_messages_30d"] == 0


def test_decay_halves_every_seven_days() -> None:
    kinds = frozenset({"page_view"})
    assert decayed([ev("page_view", 0)], NOW, kinds) == pytest.approx(1.0)
    assert decayed([ev("page_view", 7)], NOW, kinds) == pytest.approx(0.5)
    assert decayed([ev("page_view", 14), ev("page_view", 14)], NOW, kinds) == pytest.approx(0.5)
    assert decayed([ev("docs_view", 0)], NOW, kinds) == 0.0


def test_recency_counts_activity_not_bookkeeping() -> None:
    events = [
        ev("page_view", 10),
        ev("page_view", 9.5),
        ev("pricing_view", 3),
        ev("consent_given", 1),
    ]
    found = recency(events, NOW)
    assert found["days_since_first_touch"] == pytest.approx(10)
    assert found["days_since_last_activity"] == pytest.approx(3)
    assert found["active_days_30d"] == 3
    assert found["pricing_decayed"] == pytest.approx(0.5 ** (3 / 7))
    assert recency([], NOW)["days_since_last_activity"] is None


def test_intent_email_milestones_and_consent() -> None:
    events = [
        ev("page_view", 5),
        ev("docs_view", 5, path="/docs/a"),
        ev("docs_view", 4, path="/docs/a"),
        ev("docs_view", 4, path="/docs/b"),
        ev("pricing_view", 4),
        ev("chat_message", 4, text="What does Pricing look like?"),
        ev("email_opened", 3),
        ev("email_opened", 2),
        ev("email_clicked", 2),
        ev("trial_started", 2),
        ev("consent_given", 2, purpose="marketing"),
        ev("unsubscribe", 1),
    ]
    intent = intent_signals(events, NOW)
    assert intent["docs_pages_distinct"] == 2
    assert intent["pricing_share"] == pytest.approx(1 / 5)
    assert intent["chat_asked_pricing"] == 1.0
    assert email_engagement(events) == {"email_opens_total": 2.0, "email_click_rate": 0.5}
    assert email_engagement([ev("page_view", 1)])["email_click_rate"] is None
    flags = milestones(events)
    assert flags["trial_started"] == 1.0
    assert flags["meeting_booked"] == 0.0
    assert flags["checkout_started"] == 0.0
    assert flags["signed_up"] == 0.0
    assert consent(events) == {"marketing_consent": 0.0}
    assert consent(events[:-1]) == {"marketing_consent": 1.0}
    assert consent(events[:2]) == {"marketing_consent": None}


@pytest.mark.parametrize(
    ("answer", "band"),
    [("1-10", "1-10"), ("25", "11-50"), ("51-200", "51-200"), ("1,200", "1000+"), ("n/a", None)],
)
def test_team_size_bands(answer: str, band: str | None) -> None:
    assert team_size_band(answer) == band


def test_traits_come_from_events_latest_first_then_chat_answers_then_stored_columns() -> None:
    events = [
        ev("form_submit", 5, role="Engineer", team_size="11-50", industry="fintech", country="DE"),
        ev("identify", 3, role="CTO"),
        ev("chat_message", 2, text="we have budget", budget="10k", timeline="this quarter"),
    ]
    found = firmographics(snap(*events, profile={"company": "Acme", "role": "Intern"}), events)
    assert found["role"] == "CTO"
    assert found["team_size_band"] == "11-50"
    assert found["team_size_floor"] == 11.0
    assert (found["industry"], found["country"]) == ("fintech", "DE")
    assert (found["budget"], found["timeline"]) == ("10k", "this quarter")
    assert found["has_company"] == 1.0
    assert found["qualification_answers"] == 3.0


def test_first_touch_is_the_earliest_event() -> None:
    late = SnapshotEvent(type="page_view", occurred_at=NOW, channel="direct")
    events = [ev("page_view", 3), late]
    assert first_touch(events)["first_channel"] == "paid_search"
    assert first_touch(events)["first_medium"] == "cpc"
    assert first_touch([])["first_channel"] is None


def test_an_event_after_as_of_changes_nothing() -> None:
    past = [
        ev("form_submit", 6, role="Engineer", team_size="1-10"),
        ev("pricing_view", 2),
        ev("email_opened", 1),
    ]
    future = [
        ev("pricing_view", -0.5),
        ev("identify", -1, role="CTO", team_size="1000+"),
        ev("checkout_started", -2),
        ev("purchase", -2),
        ev("consent_given", -1),
    ]
    before = compute_features(snap(*past), as_of=NOW)
    after = compute_features(snap(*past, *future), as_of=NOW)
    assert after == before
    assert before["role"] == "Engineer"
    assert before["checkout_started"] == 0.0


def test_purchases_never_feed_a_feature() -> None:
    base = [ev("page_view", 3), ev("checkout_started", 2)]
    with_purchase = compute_features(snap(*base, ev("purchase", 1)), as_of=NOW)
    assert with_purchase == compute_features(snap(*base), as_of=NOW)
    assert with_purchase["checkout_started"] == 1.0


def test_snapshot_from_record_drops_later_events_and_later_written_columns() -> None:
    def record(last_seen: datetime) -> LeadRecord:
        event = EventRecord("page_view", NOW - timedelta(days=2), "direct", None, None, {})
        later = EventRecord("identify", NOW + timedelta(days=1), "direct", None, None, {})
        return LeadRecord(
            lead_id=7,
            has_email=True,
            company="Acme",
            role="CTO",
            team_size="51-200",
            timeline=None,
            budget=None,
            first_touch_channel="direct",
            first_touch_source=None,
            first_touch_medium=None,
            first_touch_at=event.occurred_at,
            last_seen_at=last_seen,
            events=(event, later) if last_seen > NOW else (event,),
        )

    stale = snapshot_from_record(record(NOW + timedelta(days=1)), as_of=NOW)
    assert [e.type for e in stale.events] == ["page_view"]
    assert dict(stale.stored_profile) == {}
    current = snapshot_from_record(record(NOW - timedelta(days=2)), as_of=NOW)
    assert current.stored_profile["role"] == "CTO"
    features = compute_features(current, as_of=NOW)
    assert features["team_size_band"] == "51-200"
    assert not math.isnan(float(features["days_since_first_touch"] or 0))
