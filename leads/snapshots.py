"""Load leads with their events as plain values, as of a time, in batches (two queries a batch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from leads.models import Event, Lead, as_utc


@dataclass(frozen=True)
class EventRecord:
    """One stored event as a plain value: what happened, when, from where, with what."""

    type: str
    occurred_at: datetime
    channel: str
    utm_source: str | None
    utm_medium: str | None
    properties: Mapping[str, object]


@dataclass(frozen=True)
class LeadRecord:
    """One lead's stored profile columns and its events (time order), as plain values."""

    lead_id: int
    has_email: bool
    company: str | None
    role: str | None
    team_size: str | None
    timeline: str | None
    budget: str | None
    first_touch_channel: str | None
    first_touch_source: str | None
    first_touch_medium: str | None
    first_touch_at: datetime | None
    last_seen_at: datetime | None
    events: tuple[EventRecord, ...]


# Plain columns, never ORM objects: nothing enters the caller's identity map, memory stays flat.
_LEAD_COLUMNS = (
    Lead.id,
    Lead.email,
    Lead.company,
    Lead.role,
    Lead.team_size,
    Lead.timeline,
    Lead.budget,
    Lead.first_touch_channel,
    Lead.first_touch_source,
    Lead.first_touch_medium,
    Lead.first_touch_at,
    Lead.last_seen_at,
)
_EVENT_COLUMNS = (
    Event.lead_id,
    Event.type,
    Event.occurred_at,
    Event.channel,
    Event.utm_source,
    Event.utm_medium,
    Event.properties,
)


def _lead_query() -> Select[*tuple[Any, ...]]:
    return select(*_LEAD_COLUMNS).where(Lead.merged_into_id.is_(None)).order_by(Lead.id)


def _event_record(row: Row[Any]) -> EventRecord:
    return EventRecord(
        type=row.type,
        occurred_at=as_utc(row.occurred_at),
        channel=row.channel,
        utm_source=row.utm_source,
        utm_medium=row.utm_medium,
        properties=MappingProxyType(dict(row.properties or {})),
    )


def _events_by_lead(
    session: Session, lead_ids: Sequence[int], as_of: datetime | None
) -> dict[int, list[EventRecord]]:
    query = select(*_EVENT_COLUMNS).where(Event.lead_id.in_(lead_ids))
    if as_of is not None:
        query = query.where(Event.occurred_at <= as_of)
    query = query.order_by(Event.lead_id, Event.occurred_at, Event.id)
    found: dict[int, list[EventRecord]] = defaultdict(list)
    for row in session.execute(query):
        found[row.lead_id].append(_event_record(row))
    return found


def _lead_record(lead: Row[Any], events: Iterable[EventRecord]) -> LeadRecord:
    return LeadRecord(
        lead_id=lead.id,
        has_email=lead.email is not None,
        company=lead.company,
        role=lead.role,
        team_size=lead.team_size,
        timeline=lead.timeline,
        budget=lead.budget,
        first_touch_channel=lead.first_touch_channel,
        first_touch_source=lead.first_touch_source,
        first_touch_medium=lead.first_touch_medium,
        first_touch_at=as_utc(lead.first_touch_at) if lead.first_touch_at else None,
        last_seen_at=as_utc(lead.last_seen_at) if lead.last_seen_at else None,
        events=tuple(events),
    )


def _records(
    session: Session, leads: Sequence[Row[Any]], as_of: datetime | None
) -> Iterator[LeadRecord]:
    events = _events_by_lead(session, [lead.id for lead in leads], as_of)
    for lead in leads:
        yield _lead_record(lead, events.get(lead.id, ()))


def _lead_batches(
    session: Session, lead_ids: Sequence[int] | None, batch: int
) -> Iterator[Sequence[Row[Any]]]:
    if lead_ids is not None:
        wanted = sorted(set(lead_ids))
        for start in range(0, len(wanted), batch):
            chunk = wanted[start : start + batch]
            yield session.execute(_lead_query().where(Lead.id.in_(chunk))).all()
        return
    after = 0
    while True:
        leads = session.execute(_lead_query().where(Lead.id > after).limit(batch)).all()
        if not leads:
            return
        yield leads
        after = leads[-1].id


def load_snapshots(
    session: Session,
    *,
    lead_ids: Sequence[int] | None = None,
    as_of: datetime | None = None,
    batch: int = 1000,
) -> Iterator[LeadRecord]:
    """Yield unmerged leads with their events up to `as_of` (inclusive), in lead id order."""
    cutoff = as_utc(as_of) if as_of is not None else None
    for leads in _lead_batches(session, lead_ids, max(1, batch)):
        yield from _records(session, leads, cutoff)


def lead_id_pages(session: Session, *, size: int = 1000) -> Iterator[list[int]]:
    """Yield the ids of unmerged leads in pages of `size`, in id order (keyset paging)."""
    after = 0
    while True:
        page = list(
            session.scalars(
                select(Lead.id)
                .where(Lead.merged_into_id.is_(None), Lead.id > after)
                .order_by(Lead.id)
                .limit(max(1, size))
            )
        )
        if not page:
            return
        yield page
        after = page[-1]
