"""A lead as the feature code sees it at one moment: profile fallback, consent and past events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from leads.models import as_utc
from leads.snapshots import EventRecord, LeadRecord

# Traits read from `identify` / `form_submit` properties (and qualification answers in chat).
PROFILE_TRAITS = ("company", "role", "team_size", "industry", "country", "budget", "timeline")
TRAIT_EVENTS = frozenset({"identify", "form_submit"})
QUALIFICATION_TRAITS = ("team_size", "budget", "timeline")
CONSENT_EVENTS = frozenset({"consent_given", "consent_withdrawn", "unsubscribe"})


@dataclass(frozen=True)
class SnapshotEvent:
    """One event the feature code reads."""

    type: str
    occurred_at: datetime
    channel: str
    source: str | None = None
    medium: str | None = None
    properties: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead as of `as_of`: events up to then, and stored profile values valid at that time."""

    lead_id: int
    as_of: datetime
    marketing_consent: bool | None
    # Stored profile columns, kept only when no event of the lead lies after `as_of` (a column
    # written later would leak the future); events' own traits take precedence anyway.
    stored_profile: Mapping[str, str]
    events: tuple[SnapshotEvent, ...]


def events_until(events: Iterable[SnapshotEvent], as_of: datetime) -> tuple[SnapshotEvent, ...]:
    """Return the events at or before `as_of`, in time order."""
    cutoff = as_utc(as_of)
    kept = (e for e in events if as_utc(e.occurred_at) <= cutoff)
    return tuple(sorted(kept, key=lambda e: as_utc(e.occurred_at)))


def marketing_consent(events: Iterable[SnapshotEvent]) -> bool | None:
    """Return the standing marketing consent from consent events (the latest wins), or None."""
    standing: bool | None = None
    for event in sorted(events, key=lambda e: as_utc(e.occurred_at)):
        if event.type not in CONSENT_EVENTS:
            continue
        purpose = event.properties.get("purpose", "marketing")
        if event.type == "unsubscribe" or purpose == "marketing":
            standing = event.type == "consent_given"
    return standing


def _event(record: EventRecord) -> SnapshotEvent:
    return SnapshotEvent(
        type=record.type,
        occurred_at=as_utc(record.occurred_at),
        channel=record.channel,
        source=record.utm_source,
        medium=record.utm_medium,
        properties=record.properties,
    )


def _stored_profile(record: LeadRecord, as_of: datetime) -> Mapping[str, str]:
    if record.last_seen_at is not None and as_utc(record.last_seen_at) > as_of:
        return MappingProxyType({})
    columns = {
        "company": record.company,
        "role": record.role,
        "team_size": record.team_size,
        "budget": record.budget,
        "timeline": record.timeline,
    }
    return MappingProxyType({k: v for k, v in columns.items() if v})


def snapshot_from_record(record: LeadRecord, *, as_of: datetime) -> LeadSnapshot:
    """Convert a stored lead record into the snapshot as of `as_of` (later events dropped)."""
    cutoff = as_utc(as_of)
    events = events_until((_event(e) for e in record.events), cutoff)
    return LeadSnapshot(
        lead_id=record.lead_id,
        as_of=cutoff,
        marketing_consent=marketing_consent(events),
        stored_profile=_stored_profile(record, cutoff),
        events=events,
    )
