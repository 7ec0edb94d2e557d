"""The demo's live prospects: recent, seeded, half of them ask for a person, stored once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.intake import ingest_events
from leads.live_prospects import live_prospects

END = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_prospects_are_recent_seeded_and_every_other_one_asks_for_a_person() -> None:
    prospects = live_prospects(count=6, seed=3, end=END)
    assert len(prospects) == 6
    assert prospects == live_prospects(count=6, seed=3, end=END)
    times = [e.occurred_at for events in prospects for e in events]
    assert all(END - timedelta(hours=3) <= t <= END for t in times)
    askers = [any(e.type == "handoff_requested" for e in events) for events in prospects]
    assert askers == [False, True, False, True, False, True]
    forms = [e.properties for events in prospects for e in events if e.type == "form_submit"]
    assert {f["country"] for f in forms} >= {"DE", "SG", "MX"}
    assert len({f["team_size"] for f in forms}) == 5


def test_storing_them_twice_adds_nothing(sessions: sessionmaker[Session]) -> None:
    batch = [e for events in live_prospects(count=4, seed=3, end=END) for e in events]
    with unit_of_work(sessions) as session:
        first = Counter(
            o.status for o in ingest_events(session, batch=batch, received_at=END).outcomes
        )
    with unit_of_work(sessions) as session:
        again = Counter(
            o.status for o in ingest_events(session, batch=batch, received_at=END).outcomes
        )
    assert first == {"accepted": len(batch)}
    assert again == {"duplicate": len(batch)}
