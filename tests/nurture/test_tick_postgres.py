"""Ticks racing on a real PostgreSQL server: SKIP LOCKED claims, never one send written twice."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.nurture_models import Enrollment, NurtureSend
from nurture.enrollments import Enrolled, enroll
from nurture.exits import exit_for_leads
from nurture.tick import TickResult, run_batch, run_tick
from tests.nurture.factories_engine import MONDAY, add_event, config, enrolled, make_lead, save

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]
SEQUENCE = """
key: pg
name: Two emails
steps:
  - {id: hello, email: welcome}
  - {id: again, email: offer}
"""


def _enroll(sessions: sessionmaker[Session], n: int) -> list[tuple[int, int, str]]:
    with sessions.begin() as session:
        key = save(session, SEQUENCE)
        return [enrolled(session, key=key) for _ in range(n)]


def _send_keys(sessions: sessionmaker[Session]) -> list[tuple[int, str, int]]:
    with sessions() as session:
        query = select(NurtureSend.enrollment_id, NurtureSend.step_id, NurtureSend.visit)
        return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def test_two_ticks_at_once_split_the_work_and_write_each_send_once(
    pg_sessions: sessionmaker[Session],
) -> None:
    made = _enroll(pg_sessions, 120)
    small = config(batch_size=5, max_emails_per_week=10)
    results: list[TickResult] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            results.append(run_tick(pg_sessions, config=small, now=MONDAY))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.claimed for r in results) == 120
    keys = _send_keys(pg_sessions)
    assert len(keys) == len(set(keys)) == 240
    assert {k[0] for k in keys} == {m[0] for m in made}
    with pg_sessions() as session:
        statuses = session.scalars(select(Enrollment.status).distinct()).all()
        assert statuses == ["completed"]


def test_a_second_claim_skips_the_rows_the_first_holds_without_waiting(
    pg_sessions: sessionmaker[Session],
) -> None:
    _enroll(pg_sessions, 10)
    first = pg_sessions()
    mine = run_batch(first, config=config(), now=MONDAY, size=6, versions={})
    started = time.monotonic()
    with pg_sessions.begin() as second:
        theirs = run_batch(second, config=config(), now=MONDAY, size=6, versions={})
    assert time.monotonic() - started < 5  # it did not wait for the first to commit
    first.commit()
    first.close()
    assert (mine.claimed, theirs.claimed) == (6, 4)
    assert not set(mine.send_ids) & set(theirs.send_ids)
    keys = _send_keys(pg_sessions)
    assert len(keys) == len(set(keys)) == 20


def test_an_exit_waits_for_a_tick_holding_the_enrollment_then_sees_its_advance(
    pg_sessions: sessionmaker[Session],
) -> None:
    waiting = SEQUENCE.replace("key: pg", "key: pg-wait").replace(
        "  - {id: again, email: offer}", "  - {id: pause, wait: 2d}\n  - {id: again, email: offer}"
    )
    with pg_sessions.begin() as session:
        key = save(session, waiting)
        enrollment_id, lead_id, address = enrolled(session, key=key)
    tick = pg_sessions()
    assert run_batch(tick, config=config(), now=MONDAY, size=10, versions={}).claimed == 1
    with pg_sessions.begin() as session:
        add_event(session, address, "email_replied", MONDAY)
    ended: list[object] = []

    def exits() -> None:
        with pg_sessions.begin() as session:
            ended.extend(exit_for_leads(session, lead_ids=[lead_id], at=MONDAY))

    racer = threading.Thread(target=exits)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the exit should wait for the tick's lock"
    tick.commit()
    tick.close()
    racer.join(timeout=10)
    assert len(ended) == 1
    with pg_sessions() as session:
        row = session.get(Enrollment, enrollment_id)
        assert row is not None
        assert (row.status, row.exit_reason, row.step_id) == ("exited", "replied", "pause")
        assert session.scalar(select(func.count()).select_from(NurtureSend)) == 1


def test_two_workers_enrolling_one_lead_at_once_make_one_enrollment(
    pg_sessions: sessionmaker[Session],
) -> None:
    with pg_sessions.begin() as session:
        key = save(session, SEQUENCE)
        lead_id, _ = make_lead(session)
    first = pg_sessions()
    mine = enroll(first, lead_id=lead_id, sequence_key=key, at=MONDAY)
    theirs: list[Enrolled] = []

    def second() -> None:
        with pg_sessions.begin() as session:
            theirs.append(enroll(session, lead_id=lead_id, sequence_key=key, at=MONDAY))

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the second insert should wait on the first's unique entry"
    first.commit()
    first.close()
    racer.join(timeout=10)
    assert (mine.status, theirs[0].status) == ("enrolled", "already")
    assert theirs[0].enrollment_id == mine.enrollment_id
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
