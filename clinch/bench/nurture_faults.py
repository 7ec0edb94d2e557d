"""Exactly-once under faults: real Celery workers on a real broker, killed with SIGKILL at random.

A throwaway home gets a SQLite store with `steps / 2` consenting leads, each enrolled in a
sequence of two email steps, and the template library. Two `clinch worker` processes run on the
broker; this process plays beat (a `nurture.tick` every half second, a `nurture.retry_sends`
every two) and, each time another 1/(kills + 1) of the expected mail has reached the outbox,
SIGKILLs one worker at random (the whole process group, mid-tick or mid-send) and starts a new
one, so two always run. When every enrollment has ended and every send is recorded, it counts:

- `sent`: outbox files, each a delivered message (the folder is the mail sink);
- `duplicates`: messages beyond one per (enrollment, step, visit), read from each file's
  `X-Clinch-Nurture-Send` header and the store — never from file names alone;
- `lost`: email steps of the sequence with no delivered message.

The reference is the same run without kills (`--kills 0`), reported as the time ratio.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kombu.connection import Connection
from rich.console import Console
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from clinch.bench import BenchmarkUnavailable
from clinch.celery_app import create_celery
from clinch.nurture_tasks import RETRY_SENDS_TASK, TICK_TASK
from clinch.settings import Settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.models import Consent, Lead
from leads.nurture_models import Enrollment, NurtureSend, NurtureSequence
from nurture.message import SEND_HEADER
from nurture.sequence_file import parse_sequence
from nurture.sequences import save_sequence
from nurture.template_file import parse_template_library
from nurture.templates import save_templates

SEQUENCE = """
key: faults
name: Two emails
steps:
  - {id: hello, email: hello}
  - {id: again, email: again}
"""
LIBRARY = """
templates:
  hello:
    subject: "Hello {{ lead.first_name | default('there') }}"
    text: "Hello from {{ company }}. Unsubscribe: {{ unsubscribe_url }}"
  again:
    subject: "Again, {{ lead.first_name | default('there') }}"
    text: "Still here. Unsubscribe: {{ unsubscribe_url }}"
"""
EMAILS_PER_LEAD = 2
TIMEOUT_S = 900.0
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"


def _broker(settings: Settings) -> str:
    url = settings.broker_url or os.environ.get("CLINCH_TEST_REDIS_URL") or DEFAULT_BROKER
    if not url.startswith(("redis://", "rediss://", "amqp://", "pyamqp://")):
        raise BenchmarkUnavailable(
            f"nurture-faults needs a Redis or RabbitMQ broker, not {url.split(':')[0]}: "
            "set CLINCH_BROKER_URL=redis://127.0.0.1:6379/14"
        )
    try:
        with Connection(url, connect_timeout=3) as connection:  # type: ignore[no-untyped-call]
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises many types for a broker that is down
        raise BenchmarkUnavailable(
            f"nurture-faults cannot reach the broker at {url}: {exc}; start Redis or set "
            "CLINCH_BROKER_URL"
        ) from None
    return url


def _seed(sessions: sessionmaker[Session], leads: int, *, now: datetime) -> None:
    with sessions.begin() as session:
        save_templates(
            session, parse_template_library(LIBRARY, source="bench"), actor="bench", at=now
        )
        save_sequence(session, parse_sequence(SEQUENCE), source="bench", actor="bench", at=now)
    rows = [{"email": f"f{i}@faults.test", "name": f"Lead {i}"} for i in range(leads)]
    with sessions.begin() as session:
        seed_due_enrollments(session, leads=rows, step_id="hello", due_at=now, source="bench")


def seed_due_enrollments(
    session: Session,
    *,
    leads: Sequence[Mapping[str, object]],
    step_id: str,
    due_at: datetime,
    source: str,
) -> None:
    """Insert these leads with marketing consent, each due at step_id of the store's one sequence.

    The store holds no other leads: every lead in it is consented and enrolled.
    """
    sequence_id = session.scalars(select(NurtureSequence.id)).one()
    session.execute(insert(Lead), list(leads))
    ids = session.scalars(select(Lead.id).order_by(Lead.id)).all()
    session.execute(
        insert(Consent),
        [
            {"lead_id": i, "purpose": "marketing", "granted": True, "source": source,
             "recorded_at": due_at - timedelta(minutes=5)}
            for i in ids
        ],
    )  # fmt: skip
    session.execute(
        insert(Enrollment),
        [
            {"lead_id": i, "sequence_id": sequence_id, "version": 1, "status": "active",
             "step_id": step_id, "visit": 1, "next_run_at": due_at, "variants": {},
             "entered_at": due_at, "steps_run": 0}
            for i in ids
        ],
    )  # fmt: skip


def _worker_env(home: Path, broker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINCH_")}
    env.update(
        {
            "CLINCH_HOME": str(home),
            "CLINCH_BROKER_URL": broker,
            "CLINCH_NURTURE__BATCH_SIZE": "100",
            "CLINCH_NURTURE__QUIET_START": "00:00",
            "CLINCH_NURTURE__QUIET_END": "00:00",
            "CLINCH_NURTURE__MAX_EMAILS_PER_WEEK": "10",
            "CLINCH_NURTURE__SEND_LEASE_SECONDS": "5",
            "CLINCH_NURTURE__RETRY_SECONDS": "[1, 2, 5]",
            "CLINCH_MAIL__TIMEOUT_S": "1",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class _Workers:
    """Two worker processes, each in its own process group so a kill takes its pool too."""

    def __init__(self, home: Path, broker: str, *, count: int = 2) -> None:
        self.env = _worker_env(home, broker)
        self.home = home
        self.log = home / "workers.log"
        self.running = [self._spawn() for _ in range(count)]

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "clinch", "worker", "--concurrency", "1"],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_one(self, rng: random.Random) -> None:
        victim = self.running.pop(rng.randrange(len(self.running)))
        _kill(victim)
        self.running.append(self._spawn())

    def close(self) -> None:
        for process in self.running:
            _kill(process)

    def reconciled(self) -> int:
        """Return the sends found already delivered by a worker that died before recording."""
        return self.log.read_text(errors="replace").count("was already in the outbox")


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _outbox_files(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("nurture-*.eml")) if outbox.exists() else []


def _done(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        active = session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.status == "active")
        )
        pending = session.scalar(
            select(func.count()).select_from(NurtureSend).where(NurtureSend.status == "pending")
        )
    return not active and not pending


def _drive(
    sessions: sessionmaker[Session], outbox: Path, workers: _Workers, *, expected: int, kills: int,
    broker: str, home: Path, seed: int,
) -> int:  # fmt: skip
    """Play beat and the killer until everything is recorded; return how many kills were made."""
    celery = create_celery(Settings(home=home, broker_url=broker, _env_file=None))
    rng = random.Random(seed)
    thresholds = sorted(
        int(expected * (i + rng.uniform(0.5, 1.0)) / (kills + 1)) for i in range(kills)
    )
    made, last_tick, last_retry = 0, 0.0, 0.0
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now - last_tick >= 0.5:
                celery.send_task(TICK_TASK)
                last_tick = now
            if now - last_retry >= 2.0:
                celery.send_task(RETRY_SENDS_TASK)
                last_retry = now
            delivered = len(_outbox_files(outbox))
            while made < len(thresholds) and delivered >= thresholds[made]:
                workers.kill_one(rng)
                made += 1
            if made == len(thresholds) and delivered >= expected and _done(sessions):
                return made
            time.sleep(0.05)
    finally:
        celery.close()
    raise BenchmarkUnavailable(f"the run did not finish in {TIMEOUT_S:.0f} s: see {workers.log}")


def _count(sessions: sessionmaker[Session], outbox: Path) -> dict[str, int]:
    with sessions() as session:
        keys = {
            send_id: (enrollment_id, step_id, visit)
            for send_id, enrollment_id, step_id, visit in session.execute(
                select(NurtureSend.id, NurtureSend.enrollment_id, NurtureSend.step_id,
                       NurtureSend.visit)
            ).tuples()
        }  # fmt: skip
        enrollments = session.scalars(select(Enrollment.id)).all()
        statuses = Counter(session.scalars(select(NurtureSend.status)))
    delivered: Counter[tuple[int, str, int]] = Counter()
    for path in _outbox_files(outbox):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        delivered[keys[int(str(message[SEND_HEADER]))]] += 1
    expected = {(e, step, 1) for e in enrollments for step in ("hello", "again")}
    return {
        "sent": sum(delivered.values()),
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
        "lost": len(expected - set(delivered)),
        "recorded_sent": statuses.get("sent", 0),
        "not_sent": sum(n for s, n in statuses.items() if s != "sent"),
    }


def fault_run(*, steps: int, kills: int, settings: Settings, seed: int = 7) -> dict[str, Any]:
    """Run the workload once with `kills` SIGKILLs; return the counts and the seconds it took."""
    broker = _broker(settings)
    leads = max(1, steps // EMAILS_PER_LEAD)
    with tempfile.TemporaryDirectory(prefix="clinch-faults-") as folder:
        home = Path(folder)
        url = f"sqlite:///{home / 'clinch.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        _seed(sessions, leads, now=datetime.now(UTC) - timedelta(minutes=1))
        purger = create_celery(Settings(home=home, broker_url=broker, _env_file=None))
        purger.control.purge()  # nothing queued by an earlier run reaches this store
        purger.close()
        outbox = home / "outbox" / "nurture"
        started = time.perf_counter()
        workers = _Workers(home, broker)
        try:
            made = _drive(
                sessions, outbox, workers, expected=leads * EMAILS_PER_LEAD, kills=kills,
                broker=broker, home=home, seed=seed,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            reconciled = workers.reconciled()
        finally:
            workers.close()
        counts = _count(sessions, outbox)
        engine.dispose()
    return {
        "steps": leads * EMAILS_PER_LEAD,
        "kills": made,
        **counts,
        "reconciled": reconciled,
        "seconds": round(seconds, 1),
    }


def run_nurture_faults(
    *, steps: int, kills: int, settings: Settings, console: Console
) -> dict[str, Any]:
    """Run the faulted workload and a fault-free reference; print and return the figures."""
    console.print(f"nurture-faults: {steps} email steps, 2 workers, {kills} SIGKILLs …")
    faulted = fault_run(steps=steps, kills=kills, settings=settings)
    console.print(f"  faulted run: {faulted}", soft_wrap=True)
    reference = fault_run(steps=steps, kills=0, settings=settings)
    console.print(f"  reference (no kills): {reference}", soft_wrap=True)
    ratio = faulted["seconds"] / reference["seconds"] if reference["seconds"] else None
    return {
        "sent": faulted["sent"],
        "duplicates": faulted["duplicates"],
        "lost": faulted["lost"],
        "kills": faulted["kills"],
        "reconciled": faulted["reconciled"],
        "seconds": faulted["seconds"],
        "reference_seconds": reference["seconds"],
        "time_ratio_to_no_kills": round(ratio, 2) if ratio else None,
        "reference": reference,
    }
