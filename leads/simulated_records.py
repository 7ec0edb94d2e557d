"""The record the store would hold for a simulated lead, built without the store.

Benchmarks at a million leads need more leads than the intake stores in minutes. These records
are what `load_snapshots` returns for the same simulated lead after the real intake (a test
holds the two equal), so features computed from them are the store's features.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import MappingProxyType

from leads.channels import derive_channel
from leads.event_rules import TRAIT_TYPES, EventIn
from leads.identity import LEAD_TRAITS
from leads.models import as_utc
from leads.snapshots import EventRecord, LeadRecord


def _event_record(event: EventIn) -> EventRecord:
    return EventRecord(
        type=event.type,
        occurred_at=as_utc(event.occurred_at),
        channel=derive_channel(
            utm_source=event.utm_source,
            utm_medium=event.utm_medium,
            referrer=event.referrer,
            event_type=event.type,
        ),
        utm_source=event.utm_source,
        utm_medium=event.utm_medium,
        properties=MappingProxyType(dict(event.properties)),
    )


def _traits(events: Sequence[EventIn]) -> dict[str, str]:
    found: dict[str, str] = {}
    for event in events:
        if event.type in TRAIT_TYPES:
            for trait in LEAD_TRAITS:
                value = event.properties.get(trait)
                if isinstance(value, str) and value.strip():
                    found[trait] = value.strip()
    return found


def simulated_record(lead_id: int, events: Sequence[EventIn], *, as_of: datetime) -> LeadRecord:
    """Return the stored record of one simulated lead's events, as of a time."""
    # As in the store, the profile columns (traits, first touch, last seen) know every event;
    # only the events themselves are cut at `as_of`.
    everything = sorted((_event_record(e) for e in events), key=lambda r: r.occurred_at)
    cutoff = as_utc(as_of)
    records = [r for r in everything if r.occurred_at <= cutoff]
    traits = _traits(events)
    first = everything[0] if everything else None
    return LeadRecord(
        lead_id=lead_id,
        has_email=any(e.email for e in events),
        company=traits.get("company"),
        role=traits.get("role"),
        team_size=traits.get("team_size"),
        timeline=traits.get("timeline"),
        budget=traits.get("budget"),
        first_touch_channel=first.channel if first else None,
        first_touch_source=first.utm_source if first else None,
        first_touch_medium=first.utm_medium if first else None,
        first_touch_at=first.occurred_at if first else None,
        last_seen_at=everything[-1].occurred_at if everything else None,
        events=tuple(records),
    )
