"""Lead features: pure functions of a snapshot and a time, shared by training and online scoring.

Every function reads only events at or before `as_of` (the snapshot loader drops later ones and
`compute_features` drops them again), so a row computed for training at time t equals the row
computed online at t. Purchases are the label: no feature reads them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from leads.models import as_utc
from scoring.feature_spec import FeatureKind
from scoring.lead_snapshot import (
    PROFILE_TRAITS,
    QUALIFICATION_TRAITS,
    TRAIT_EVENTS,
    LeadSnapshot,
    SnapshotEvent,
    events_until,
    marketing_consent,
)

# Bump when a feature is added, removed or computed differently: models record it.
FEATURES_VERSION = "lead-features-1"
FeatureValue = float | str | None
Features = dict[str, FeatureValue]

WINDOWS_DAYS = (1, 7, 30)
HALF_LIFE_DAYS = 7.0
COUNTED = {
    "page_views": "page_view",
    "docs_views": "docs_view",
    "pricing_views": "pricing_view",
    "chat_messages": "chat_message",
    "email_opens": "email_opened",
    "email_clicks": "email_clicked",
}
# Events that show the lead doing something (not consent bookkeeping, never the label).
ACTIVITY = frozenset(
    {
        "page_view",
        "docs_view",
        "pricing_view",
        "chat_message",
        "form_submit",
        "identify",
        "trial_started",
        "email_clicked",
        "email_replied",
        "meeting_booked",
        "checkout_started",
    }
)
MILESTONES = {
    "trial_started": "trial_started",
    "meeting_booked": "meeting_booked",
    "checkout_started": "checkout_started",
}
TEAM_BANDS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"))
_DAY = 86400.0
_NUMBER = re.compile(r"\d[\d,]*")


def _age_days(event: SnapshotEvent, as_of: datetime) -> float:
    return (as_of - as_utc(event.occurred_at)).total_seconds() / _DAY


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def profile_traits(snapshot: LeadSnapshot, events: Sequence[SnapshotEvent]) -> dict[str, str]:
    """Return profile traits from trait events and chat answers (latest wins), else stored."""
    traits = dict(snapshot.stored_profile)
    for event in events:
        keys: tuple[str, ...] = ()
        if event.type in TRAIT_EVENTS:
            keys = PROFILE_TRAITS
        elif event.type == "chat_message":
            keys = QUALIFICATION_TRAITS
        for key in keys:
            value = _text(event.properties.get(key))
            if value is not None:
                traits[key] = value
    return traits


def team_size_band(team_size: str | None) -> str | None:
    """Return the team-size band ("1-10" … "1000+") of an answer like "25", "11-50", "1,200+"."""
    if team_size is None:
        return None
    numbers = [int(n.replace(",", "")) for n in _NUMBER.findall(team_size)]
    if not numbers:
        return None
    size = numbers[-1] if len(numbers) > 1 else numbers[0]
    for limit, band in TEAM_BANDS:
        if size <= limit:
            return band
    return "1000+"


def team_size_floor(band: str | None) -> float | None:
    """Return the smallest team size of a band, as an ordered number."""
    if band is None:
        return None
    return float(int(_NUMBER.findall(band)[0].replace(",", "")))


def firmographics(snapshot: LeadSnapshot, events: Sequence[SnapshotEvent]) -> Features:
    """Return who the lead is: team size band, role, company fit fields, qualification answers."""
    traits = profile_traits(snapshot, events)
    band = team_size_band(traits.get("team_size"))
    return {
        "team_size_band": band,
        "team_size_floor": team_size_floor(band),
        "role": traits.get("role"),
        "industry": traits.get("industry"),
        "country": traits.get("country"),
        "budget": traits.get("budget"),
        "timeline": traits.get("timeline"),
        "has_company": 1.0 if traits.get("company") else 0.0,
        "qualification_answers": float(sum(k in traits for k in QUALIFICATION_TRAITS)),
    }


def first_touch(events: Sequence[SnapshotEvent]) -> Features:
    """Return the channel, source and medium of the earliest event."""
    if not events:
        return {"first_channel": None, "first_source": None, "first_medium": None}
    first = events[0]
    return {
        "first_channel": first.channel,
        "first_source": first.source,
        "first_medium": first.medium,
    }


def window_counts(events: Sequence[SnapshotEvent], as_of: datetime) -> Features:
    """Return counts of each counted event type in the last 1, 7 and 30 days."""
    out: Features = {}
    ages = [(e.type, _age_days(e, as_of)) for e in events]
    for name, kind in COUNTED.items():
        for days in WINDOWS_DAYS:
            out[f"{name}_{days}d"] = float(sum(t == kind and a < days for t, a in ages))
    return out


def decayed(events: Iterable[SnapshotEvent], as_of: datetime, kinds: frozenset[str]) -> float:
    """Return the sum over events of these kinds of 0.5 ** (age / half-life)."""
    ages = (_age_days(e, as_of) for e in events if e.type in kinds)
    return float(sum(math.pow(0.5, age / HALF_LIFE_DAYS) for age in ages))


def recency(events: Sequence[SnapshotEvent], as_of: datetime) -> Features:
    """Return days since first touch and last activity, active days, and decayed activity."""
    active = [e for e in events if e.type in ACTIVITY]
    last = min((_age_days(e, as_of) for e in active), default=None)
    days_30 = {as_utc(e.occurred_at).date() for e in active if _age_days(e, as_of) < 30}
    return {
        "days_since_first_touch": _age_days(events[0], as_of) if events else None,
        "days_since_last_activity": last,
        "active_days_30d": float(len(days_30)),
        "activity_decayed": decayed(active, as_of, ACTIVITY),
        "pricing_decayed": decayed(events, as_of, frozenset({"pricing_view"})),
    }


def intent_signals(events: Sequence[SnapshotEvent], as_of: datetime) -> Features:
    """Return pricing, docs and chat signals: distinct docs pages, pricing share, chat asked."""
    docs = {str(e.properties.get("path")) for e in events if e.type == "docs_view"}
    views = [e for e in events if e.type in {"page_view", "docs_view", "pricing_view"}]
    pricing = sum(e.type == "pricing_view" for e in views)
    chats = [e for e in events if e.type == "chat_message"]
    asked_price = any("pric" in str(e.properties.get("text", "")).lower() for e in chats)
    return {
        "docs_pages_distinct": float(len(docs)),
        "pricing_share": pricing / len(views) if views else None,
        "pricing_views_total": float(pricing),
        "chat_asked_pricing": 1.0 if asked_price else 0.0,
        "page_views_total": float(len(views)),
    }


def email_engagement(events: Sequence[SnapshotEvent]) -> Features:
    """Return email opens, clicks, and clicks per open (missing before the first open)."""
    opens = sum(e.type == "email_opened" for e in events)
    clicks = sum(e.type == "email_clicked" for e in events)
    return {
        "email_opens_total": float(opens),
        "email_click_rate": clicks / opens if opens else None,
    }


def milestones(events: Sequence[SnapshotEvent]) -> Features:
    """Return 0/1 flags: signed up, trial started, meeting booked, checkout started."""
    seen = {e.type for e in events}
    out: Features = {"signed_up": 1.0 if seen & TRAIT_EVENTS else 0.0}
    out.update({name: 1.0 if kind in seen else 0.0 for name, kind in MILESTONES.items()})
    return out


def consent(events: Sequence[SnapshotEvent]) -> Features:
    """Return the standing marketing consent as 1/0, missing when never asked."""
    standing = marketing_consent(events)
    return {"marketing_consent": None if standing is None else float(standing)}


_TIMED: tuple[Callable[[Sequence[SnapshotEvent], datetime], Features], ...] = (
    window_counts,
    recency,
    intent_signals,
)
_UNTIMED: tuple[Callable[[Sequence[SnapshotEvent]], Features], ...] = (
    first_touch,
    email_engagement,
    milestones,
    consent,
)


def compute_features(snapshot: LeadSnapshot, *, as_of: datetime) -> Features:
    """Return every feature of a lead as of `as_of`, keyed and ordered as `FEATURE_NAMES`."""
    cutoff = as_utc(as_of)
    events = events_until((e for e in snapshot.events if e.type != "purchase"), cutoff)
    found: Features = firmographics(snapshot, events)
    for timed in _TIMED:
        found.update(timed(events, cutoff))
    for untimed in _UNTIMED:
        found.update(untimed(events))
    return {name: _clean(found[name]) for name in FEATURE_NAMES}


def _clean(value: FeatureValue) -> FeatureValue:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    return value


_CATEGORICAL = (
    "team_size_band",
    "role",
    "industry",
    "country",
    "budget",
    "timeline",
    "first_channel",
    "first_source",
    "first_medium",
)
_NUMERIC = (
    "team_size_floor",
    "has_company",
    "qualification_answers",
    *(f"{name}_{days}d" for name in COUNTED for days in WINDOWS_DAYS),
    "days_since_first_touch",
    "days_since_last_activity",
    "active_days_30d",
    "activity_decayed",
    "pricing_decayed",
    "docs_pages_distinct",
    "pricing_share",
    "pricing_views_total",
    "chat_asked_pricing",
    "page_views_total",
    "email_opens_total",
    "email_click_rate",
    "signed_up",
    *MILESTONES,
    "marketing_consent",
)
FEATURE_KINDS: tuple[tuple[str, FeatureKind], ...] = (
    *((name, "categorical") for name in _CATEGORICAL),
    *((name, "numeric") for name in _NUMERIC),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in FEATURE_KINDS)
