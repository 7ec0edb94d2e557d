"""Plain factories shared by the intake tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import IntakeResult, ingest_events
from leads.models import Base

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def make_event(event_id: str, type: str = "page_view", **fields: Any) -> EventIn:
    """Return an event an hour before NOW from an anonymous visitor unless told otherwise."""
    fields.setdefault("occurred_at", NOW - timedelta(hours=1))
    if not {"email", "anonymous_id", "lead_id"} & set(fields):
        fields["anonymous_id"] = "anon-1"
    return EventIn(event_id=event_id, type=type, **fields)


def ingest(sessions: sessionmaker[Session], *events: EventIn) -> IntakeResult:
    """Ingest one batch in its own committed unit of work."""
    with unit_of_work(sessions) as session:
        return ingest_events(session, batch=list(events), received_at=NOW)


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Return the row count of every table."""
    with sessions() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }
