"""A simulated funnel sent through the real intake into SQLite, and copies of SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.simulator import simulate

# The shared simulated store (the session fixture `simulated_store` of tests/conftest.py): its
# funnel ends at END, in the past, so every lead can be observed and labelled as of END.
END = datetime(2026, 11, 1, tzinfo=UTC)
LEADS = 1500
SEED = 7


def fill_store(
    sessions: sessionmaker[Session], *, leads: int, seed: int, end: datetime = END
) -> None:
    """Send a simulated funnel ending at `end` through the real intake."""
    pending: list[EventIn] = [
        e for _, events in simulate(leads=leads, seed=seed, end=end) for e in events
    ]
    with sessions() as session:
        for start in range(0, len(pending), 500):
            ingest_events(session, batch=pending[start : start + 500], received_at=end)
        session.commit()


def copy_database(source: Path, target: Path) -> Path:
    """Copy a SQLite database with SQLite's backup API (complete even in WAL mode)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()
    return target
