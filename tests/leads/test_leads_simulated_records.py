"""Simulated records built without the store equal what the store holds after the real intake."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.simulated_records import simulated_record
from leads.simulator import simulate
from leads.snapshots import LeadRecord, load_snapshots

END = datetime(2026, 11, 1, tzinfo=UTC)


def _key(record: LeadRecord) -> tuple[object, ...]:
    return (record.first_touch_at, record.events[0].properties if record.events else None)


def test_records_match_the_store_after_the_intake(sessions: sessionmaker[Session]) -> None:
    funnel = list(simulate(leads=150, seed=11, end=END))
    as_of = END - timedelta(days=20)  # some events later than the cut, some leads not yet seen
    built = [simulated_record(0, events, as_of=as_of) for _, events in funnel]
    pending: list[EventIn] = [e for _, events in funnel for e in events]
    with sessions() as session:
        for start in range(0, len(pending), 500):
            ingest_events(session, batch=pending[start : start + 500], received_at=END)
        stored = [replace(r, lead_id=0) for r in load_snapshots(session, as_of=as_of)]
        session.rollback()
    # The store knows a lead's profile and first touch from all its events, like the builder.
    assert len(stored) == len(built) == 150
    assert sorted(stored, key=repr) == sorted(built, key=repr)
