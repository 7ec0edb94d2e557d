"""One nurture tick over many due enrollments, beside plain batched inserts into the same store.

A throwaway SQLite store gets `n` consenting leads, each enrolled in a sequence whose first step
is an email followed by a wait. One `run_tick` runs them all (claim, facts, interpreter, and in
each batch's transaction the outbox row, the step log and the advance). The references, timed in
the same run on the same file: inserting the same number of outbox rows with plain batched
`INSERT`s (one commit per batch, as the tick commits; once before the tick and once after, the
mean reported), and writing everything the tick writes (outbox rows, step-log rows and the
enrollment updates) the same plain way.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.models import Consent, Lead
from leads.nurture_models import (
    Enrollment,
    NurtureSend,
    NurtureSequence,
    NurtureStepLog,
    NurtureTemplate,
)
from nurture.config import NurtureConfig
from nurture.sequence_file import parse_sequence
from nurture.sequences import save_sequence
from nurture.tick import run_tick

# A Tuesday at noon UTC: outside the default quiet hours for the benchmark's UTC leads.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SEQUENCE = """
key: bench
name: Benchmark
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - {id: offer, email: offer}
"""
_CHUNK = 5000


def _chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def _seed(sessions: sessionmaker[Session], n: int) -> int:
    """Store n leads with marketing consent, each enrolled at the email step; return sequence id."""
    created = NOW - timedelta(days=1)
    with sessions.begin() as session:
        for name in ("welcome", "offer"):
            session.add(
                NurtureTemplate(
                    name=name, subject=name, text=name, content_hash=name, updated_at=created
                )
            )
        parsed = parse_sequence(SEQUENCE, templates={"welcome", "offer"})
        save_sequence(session, parsed, source="bench", actor="bench", at=created)
    with sessions.begin() as session:
        sequence_id = session.scalars(select(NurtureSequence.id)).one()
        _seed_leads(session, n, sequence_id=sequence_id, created=created)
    return int(sequence_id)


def _seed_leads(session: Session, n: int, *, sequence_id: int, created: datetime) -> None:
    """Add n leads, a marketing consent each, and their enrollments due now."""
    first_id = (session.scalar(select(func.max(Lead.id))) or 0) + 1
    for part in _chunks(n, _CHUNK):
        leads = [{"email": f"lead{i}@bench.test", "created_at": created} for i in part]
        session.execute(insert(Lead), leads)
    ids = list(range(first_id, first_id + n))
    for part in _chunks(n, _CHUNK):
        session.execute(
            insert(Consent),
            [
                {
                    "lead_id": ids[i],
                    "purpose": "marketing",
                    "granted": True,
                    "source": "bench",
                    "recorded_at": created,
                }
                for i in part
            ],
        )
        session.execute(
            insert(Enrollment),
            [
                {
                    "lead_id": ids[i],
                    "sequence_id": sequence_id,
                    "version": 1,
                    "status": "active",
                    "step_id": "welcome",
                    "visit": 1,
                    "next_run_at": NOW - timedelta(minutes=1),
                    "variants": {},
                    "entered_at": NOW - timedelta(minutes=1),
                    "steps_run": 0,
                }
                for i in part
            ],
        )


def _reference_sends(
    sessions: sessionmaker[Session],
    *,
    n: int,
    batch: int,
    sequence_id: int,
    step: str,
    at: datetime = NOW,
) -> float:
    """Insert n outbox rows in plain batches, a commit each; return the seconds it took."""
    with sessions() as session:
        rows = session.execute(select(Enrollment.id, Enrollment.lead_id)).tuples().all()
    started = time.perf_counter()
    for part in _chunks(n, batch):
        with sessions.begin() as session:
            session.execute(
                insert(NurtureSend),
                [
                    {
                        "enrollment_id": rows[i][0],
                        "step_id": step,
                        "visit": 1,
                        "lead_id": rows[i][1],
                        "sequence_id": sequence_id,
                        "version": 1,
                        "template": "welcome",
                        "variant": None,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": at,
                        "to_email": f"lead{i}@bench.test",
                        "created_at": at,
                    }
                    for i in part
                ],
            )
    return time.perf_counter() - started


def _reference_all_writes(
    sessions: sessionmaker[Session], *, n: int, batch: int, sequence_id: int
) -> float:
    """Write the rest of what the tick writes (two log rows, the update) plainly; return seconds."""
    with sessions() as session:
        ids = session.scalars(select(Enrollment.id).order_by(Enrollment.id)).all()
    started = time.perf_counter()
    for part in _chunks(n, batch):
        with sessions.begin() as session:
            session.execute(
                insert(NurtureStepLog),
                [
                    {
                        "enrollment_id": ids[i],
                        "sequence_id": sequence_id,
                        "version": 1,
                        "step_id": step,
                        "kind": kind,
                        "at": NOW,
                    }
                    for i in part
                    for step, kind in (("welcome", "entered"), ("pause", "entered"))
                ],
            )
            session.execute(
                update(Enrollment),
                [
                    {
                        "id": ids[i],
                        "step_id": "pause",
                        "next_run_at": NOW + timedelta(days=2),
                        "steps_run": 2,
                    }
                    for i in part
                ],
            )
    return time.perf_counter() - started


def _measure(sessions: sessionmaker[Session], n: int, config: NurtureConfig) -> dict[str, Any]:
    """Seed the store, then time the references and the tick on it."""
    sequence_id = _seed(sessions, n)
    batch = config.batch_size
    # The reference runs before and after the tick (the mean is reported), so a machine that
    # gets busier or quieter meanwhile moves both figures alike. The rows before are older than
    # the weekly cap's window: the tick's cap check does not count them.
    before_s = _reference_sends(
        sessions, n=n, batch=batch, sequence_id=sequence_id, step="before",
        at=NOW - timedelta(days=30),
    )  # fmt: skip
    started = time.perf_counter()
    result = run_tick(sessions, config=config, now=NOW)
    tick_s = time.perf_counter() - started
    with sessions() as session:
        query = select(func.count()).where(NurtureSend.step_id == "welcome")
        written = int(session.scalar(query) or 0)
    after_s = _reference_sends(sessions, n=n, batch=batch, sequence_id=sequence_id, step="after")
    sends_s = (before_s + after_s) / 2
    # The rest of the tick's writes, plus the outbox rows: everything it writes, written plainly.
    all_s = _reference_all_writes(sessions, n=n, batch=batch, sequence_id=sequence_id) + sends_s
    return {
        "claimed": result.claimed,
        "steps": result.steps,
        "sends_written": written,
        "errors": result.errors,
        "tick_s": round(tick_s, 2),
        "enrollments_per_s": round(n / tick_s),
        "steps_per_s": round(result.steps / tick_s),
        "reference_inserts_s": round(sends_s, 2),
        "reference_inserts_before_after_s": [round(before_s, 2), round(after_s, 2)],
        "reference_inserts_per_s": round(n / sends_s),
        "ratio_to_inserts": round(sends_s / tick_s, 3),
        "reference_all_writes_s": round(all_s, 2),
        "ratio_to_all_writes": round(all_s / tick_s, 3),
    }


def tick_benchmark(n: int = 100_000, *, batch_size: int = 500) -> dict[str, Any]:
    """Time one tick over n due enrollments and plain batched inserts of n outbox rows."""
    config = NurtureConfig(
        public_url="http://bench.test",
        company_name="Bench",
        sender="bench@bench.test",
        batch_size=batch_size,
    )
    with tempfile.TemporaryDirectory(prefix="clinch-nurture-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            figures = _measure(make_session_factory(engine), n, config)
        finally:
            engine.dispose()
    return {"enrollments": n, "batch_size": batch_size, **figures}


def run_nurture_bench(*, enrollments: int, console: Console) -> dict[str, Any]:
    """Run the tick benchmark and print its table."""
    console.print(
        f"  one nurture tick over {enrollments:,} due enrollments (SQLite, batches of 500)"
    )
    result = tick_benchmark(enrollments)
    table = Table("figure", "seconds", "per second", title="nurture: one tick")
    table.add_row(
        "tick (claim, facts, steps, outbox, log, advance)",
        str(result["tick_s"]),
        f"{result['enrollments_per_s']:,} enrollments",
    )
    table.add_row(
        "plain batched inserts of the outbox rows (reference)",
        str(result["reference_inserts_s"]),
        f"{result['reference_inserts_per_s']:,} rows",
    )
    table.add_row(
        "plain batched writes of all the tick writes", str(result["reference_all_writes_s"]), ""
    )
    console.print(table)
    console.print(
        f"  tick / inserts = {result['ratio_to_inserts']} (per enrollment vs per row); "
        f"tick / same writes = {result['ratio_to_all_writes']}; "
        f"{result['steps_per_s']:,} steps/s; sends {result['sends_written']:,}; "
        f"errors {result['errors']}"
    )
    return result
