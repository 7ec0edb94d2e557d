"""Two bookings of one rep's slot racing on a real PostgreSQL server: exactly one wins."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.meetings import SlotTaken, add_meeting
from leads.models import Meeting
from leads.reps import list_reps, upsert_reps
from leads.reps_file import parse_reps

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]
STARTS = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _book(session: Session, rep_id: int) -> Meeting:
    return add_meeting(
        session,
        rep_id=rep_id,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=30),
        lead_id=None,
        conversation_id=None,
    )


def test_racing_bookings_of_one_slot_leave_one_meeting(pg_sessions: sessionmaker[Session]) -> None:
    with unit_of_work(pg_sessions) as session:
        upsert_reps(session, reps=parse_reps("reps:\n  - {name: Pat, email: pat@q.test}\n"))
        rep_id = list_reps(session)[0].id
    first = pg_sessions()
    _book(first, rep_id)  # inserted, not yet committed: the second insert waits on the index
    outcome: list[str] = []

    def second() -> None:
        try:
            with unit_of_work(pg_sessions) as session:
                _book(session, rep_id)
            outcome.append("booked")
        except SlotTaken:
            outcome.append("slot_taken")

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the second booking should wait for the first to finish"
    first.commit()
    first.close()
    racer.join(timeout=10)
    assert outcome == ["slot_taken"]
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1
