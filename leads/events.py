"""Repository of events: append-only, one row per client event id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.models import Event


def find_event(session: Session, *, event_id: str) -> Event | None:
    """Return the stored event with this client event id."""
    return session.scalars(select(Event).where(Event.event_id == event_id)).one_or_none()


def stored_lead_ids(session: Session, *, event_ids: Sequence[str]) -> dict[str, int]:
    """Return the lead id of each of these event ids that is already stored."""
    if not event_ids:
        return {}
    query = select(Event.event_id, Event.lead_id).where(Event.event_id.in_(set(event_ids)))
    return {row.event_id: row.lead_id for row in session.execute(query)}


def add_event(
    session: Session,
    *,
    event_id: str,
    lead_id: int,
    type: str,
    occurred_at: datetime,
    received_at: datetime,
    properties: dict[str, Any],
    utm_source: str | None,
    utm_medium: str | None,
    utm_campaign: str | None,
    referrer: str | None,
    channel: str,
    amount: Decimal | None = None,
    currency: str | None = None,
    plan: str | None = None,
    period: str | None = None,
) -> Event:
    """Append an event; a second row with the same event id fails the unique constraint."""
    event = Event(
        event_id=event_id,
        lead_id=lead_id,
        type=type,
        occurred_at=occurred_at,
        received_at=received_at,
        properties=properties,
        utm_source=utm_source,
        utm_medium=utm_medium,
        utm_campaign=utm_campaign,
        referrer=referrer,
        channel=channel,
        amount=amount,
        currency=currency,
        plan=plan,
        period=period,
    )
    session.add(event)
    session.flush()
    return event


def recent_events(session: Session, *, lead_id: int, limit: int = 50) -> list[Event]:
    """Return a lead's latest events, newest first."""
    query = (
        select(Event)
        .where(Event.lead_id == lead_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def count_events(session: Session, *, lead_id: int | None = None) -> int:
    """Return how many events are stored (for one lead, or in all)."""
    query = select(func.count()).select_from(Event)
    if lead_id is not None:
        query = query.where(Event.lead_id == lead_id)
    return int(session.scalar(query) or 0)
