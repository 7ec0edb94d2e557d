"""A real Celery worker killed with SIGKILL mid-tick: no send lost, none written twice.

The worker runs `nurture.tick` on Redis against a SQLite store holding thousands of due
enrollments (two emails each, in small batches). Once the first batches are committed it is
killed outright; the store then holds whole batches only (each enrollment has both its sends or
none). A fresh worker runs the tick again and every enrollment ends with exactly one outbox row
per email step.
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
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from clinch.celery_app import create_celery
from clinch.nurture_tasks import TICK_TASK
from clinch.settings import Settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.models import Consent, Enrollment, Lead, NurtureSend, NurtureSequence, NurtureStepLog
from tests.nurture.factories_engine import save

REDIS_URL = os.environ.get("CLINCH_TEST_REDIS_URL")
ENROLLMENTS = 4000
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
    with sessions.begin() as session:
        sequence_id = session.scalars(select(NurtureSequence.id)).one()
        session.execute(
            insert(Lead), [{"email": f"kill{i}@worker.test", "created_at": now} for i in range(n)]
        )
        ids = session.scalars(select(Lead.id).order_by(Lead.id)).all()
        session.execute(
            insert(Consent),
            [
                {"lead_id": i, "purpose": "marketing", "granted": True, "source": "test",
                 "recorded_at": now - timedelta(minutes=5)}
                for i in ids
            ],
        )  # fmt: skip
        session.execute(
            insert(Enrollment),
            [
                {"lead_id": i, "sequence_id": sequence_id, "version": 1, "status": "active",
                 "step_id": "hello", "visit": 1, "next_run_at": now - timedelta(minutes=1),
                 "variants": {}, "entered_at": now - timedelta(minutes=1), "steps_run": 0}
                for i in ids
            ],
        )  # fmt: skip


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
            "CLINCH_NURTURE__BATCH_SIZE": "25",
            "CLINCH_NURTURE__QUIET_START": "00:00",
            "CLINCH_NURTURE__QUIET_END": "00:00",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "clinch", "worker", "--queues", queue],
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


def test_a_worker_killed_mid_tick_loses_no_send_and_doubles_none(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'clinch.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    _seed(sessions, ENROLLMENTS)
    celery = create_celery(Settings(home=home, broker_url=REDIS_URL, _env_file=None))
    queue = f"nurture-kill-{uuid.uuid4().hex[:8]}"  # this test's workers take only its ticks
    log = home / "worker.log"
    first = _spawn(home, queue, log)
    try:
        celery.send_task(TICK_TASK, queue=queue)
        _wait_for(lambda: _counts(sessions)[0] > 0, first, log, "no send was written")
        _kill(first)
        sends, active = _counts(sessions)
        assert 0 < sends < 2 * ENROLLMENTS, "the kill should land mid-tick"
        with sessions() as session:
            per = session.execute(
                select(NurtureSend.enrollment_id, func.count()).group_by(NurtureSend.enrollment_id)
            ).all()
            # Whole batches only: an enrollment has both its emails or neither.
            assert {count for _, count in per} == {2}
            assert active == ENROLLMENTS - len(per)
        second = _spawn(home, queue, log)
        try:
            celery.send_task(TICK_TASK, queue=queue)
            _wait_for(lambda: _counts(sessions)[1] == 0, second, log, "enrollments still active")
        finally:
            _kill(second)
    finally:
        _kill(first)
        celery.close()
    with sessions() as session:
        keys = session.execute(
            select(NurtureSend.enrollment_id, NurtureSend.step_id, NurtureSend.visit)
        ).all()
        enrollments = session.scalars(select(Enrollment.id)).all()
        sent_logs = session.scalar(
            select(func.count()).select_from(NurtureStepLog).where(NurtureStepLog.kind == "sent")
        )
        statuses = session.scalars(select(Enrollment.status).distinct()).all()
    engine.dispose()
    expected = {(e, step, 1) for e in enrollments for step in ("hello", "again")}
    assert len(keys) == len(set(keys)) == 2 * ENROLLMENTS  # none twice
    assert {tuple(k) for k in keys} == expected  # none missing
    assert sent_logs == 2 * ENROLLMENTS
    assert statuses == ["completed"]
