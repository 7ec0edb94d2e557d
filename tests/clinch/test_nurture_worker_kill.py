"""Real Celery workers killed with SIGKILL mid-tick and mid-send: no email lost, none twice.

Workers on Redis run `nurture.tick` against a SQLite store holding due enrollments (two emails
each, in small batches). The first is killed once the first batches are committed: the store
then holds whole batches only (an enrollment has both its outbox rows or none). The second
finishes the tick and is killed once mail is going out. The third runs the tick and the retry
sweep (as beat would) until every email is sent: one outbox row, one "sent" log row and one file
in the outbox folder per (enrollment, step).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clinch.bench.nurture_faults import seed_due_enrollments
from clinch.celery_app import create_celery
from clinch.nurture_tasks import RETRY_SENDS_TASK, TICK_TASK
from clinch.settings import Settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog
from tests.nurture.factories_engine import save

REDIS_URL = os.environ.get("CLINCH_TEST_REDIS_URL")
ENROLLMENTS = 300
# Delivery leases a claimed send for max(send lease, 6 × SMTP timeout + 15 s): 18 s here.
SMTP_TIMEOUT_S = 0.5
WAIT_S = 180.0
SEQUENCE = """
key: kill
name: Two emails
steps:
  - {id: hello, email: welcome}
  - {id: again, email: offer}
"""

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="set CLINCH_TEST_REDIS_URL (.ci/run does)"),
]


def _seed(sessions: sessionmaker[Session], n: int) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        save(session, SEQUENCE, at=now - timedelta(hours=1))
    leads = [{"email": f"kill{i}@worker.test", "created_at": now} for i in range(n)]
    with sessions.begin() as session:
        seed_due_enrollments(
            session, leads=leads, step_id="hello", due_at=now - timedelta(minutes=1), source="test"
        )


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        sends = session.scalar(select(func.count()).select_from(NurtureSend)) or 0
        active = session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.status == "active")
        )
        return int(sends), int(active or 0)


def _spawn(home: Path, queue: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINCH_")}
    env.update(
        {
            "CLINCH_HOME": str(home),
            "CLINCH_BROKER_URL": str(REDIS_URL),
            "CLINCH_NURTURE__BATCH_SIZE": "10",
            "CLINCH_NURTURE__QUIET_START": "00:00",
            "CLINCH_NURTURE__QUIET_END": "00:00",
            "CLINCH_NURTURE__SEND_LEASE_SECONDS": "5",
            "CLINCH_MAIL__TIMEOUT_S": str(SMTP_TIMEOUT_S),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            # The default queue too: the tick queues the sends there.
            [sys.executable, "-m", "clinch", "worker", "--queues", f"default,{queue}"],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the kill takes the pool's child too
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def _wait_for(
    check: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str
) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {WAIT_S}s:\n{_tail(log)}")
        time.sleep(0.01)


def _sent(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(NurtureSend).where(NurtureSend.status == "sent")
        return int(session.scalar(query) or 0)


def _check_whole_batches(sessions: sessionmaker[Session]) -> None:
    """Every enrollment has both its emails in the outbox, or none and is still due."""
    sends, active = _counts(sessions)
    assert 0 < sends < 2 * ENROLLMENTS, "the kill should land mid-tick"
    with sessions() as session:
        per = session.execute(
            select(NurtureSend.enrollment_id, func.count()).group_by(NurtureSend.enrollment_id)
        ).all()
    assert {count for _, count in per} == {2}
    assert active == ENROLLMENTS - len(per)


def test_workers_killed_mid_tick_and_mid_send_lose_no_email_and_double_none(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'clinch.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    _seed(sessions, ENROLLMENTS)
    celery = create_celery(Settings(home=home, broker_url=REDIS_URL, _env_file=None))
    queue = f"nurture-kill-{uuid.uuid4().hex[:8]}"  # only this test's workers take its ticks
    log = home / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # 1. Killed mid-tick: whole batches only are in the store.
        workers.append(_spawn(home, queue, log))
        celery.send_task(TICK_TASK, queue=queue)
        _wait_for(lambda: _counts(sessions)[0] > 0, workers[-1], log, "no send was written")
        _kill(workers[-1])
        _check_whole_batches(sessions)
        # 2. A fresh worker finishes the tick and starts sending; killed mid-send.
        workers.append(_spawn(home, queue, log))
        celery.send_task(TICK_TASK, queue=queue)
        _wait_for(lambda: _sent(sessions) > 0, workers[-1], log, "nothing was sent")
        _kill(workers[-1])
        assert _sent(sessions) < 2 * ENROLLMENTS, "the kill should land mid-send"
        # 3. Another finishes: ticks and the retry sweep, as beat would queue them.
        workers.append(_spawn(home, queue, log))
        celery.send_task(TICK_TASK, queue=queue)

        swept = [time.monotonic()]

        def all_sent() -> bool:
            # The send the killed worker held is pending under a lease: once that lapses the
            # sweep queues it again (beat's job, every few seconds).
            if time.monotonic() - swept[0] > 3:
                celery.send_task(RETRY_SENDS_TASK, queue=queue)
                swept[0] = time.monotonic()
            return _counts(sessions)[1] == 0 and _sent(sessions) == 2 * ENROLLMENTS

        _wait_for(all_sent, workers[-1], log, "not every email was sent")
    finally:
        for worker in workers:
            _kill(worker)
        celery.close()
    _check_exactly_once(sessions, home / "outbox" / "nurture")
    engine.dispose()


def _check_exactly_once(sessions: sessionmaker[Session], outbox: Path) -> None:
    with sessions() as session:
        rows = session.execute(
            select(NurtureSend.id, NurtureSend.enrollment_id, NurtureSend.step_id)
        ).all()
        enrollments = session.scalars(select(Enrollment.id)).all()
        sent_logs = session.execute(
            select(NurtureStepLog.enrollment_id, NurtureStepLog.step_id).where(
                NurtureStepLog.kind == "sent"
            )
        ).all()
        statuses = session.scalars(select(Enrollment.status).distinct()).all()
    keys = [(e, step) for _, e, step in rows]
    assert len(keys) == len(set(keys)) == 2 * ENROLLMENTS  # no email twice in the outbox
    assert set(keys) == {(e, step) for e in enrollments for step in ("hello", "again")}  # none lost
    assert sorted(tuple(r) for r in sent_logs) == sorted(keys)  # each logged sent once
    assert statuses == ["completed"]
    files = sorted(p.name for p in outbox.glob("*.eml"))
    assert files == sorted(f"nurture-{send_id}.eml" for send_id, _, _ in rows)  # one file each
