"""Celery tasks of nurture's engine: the due-step tick, enrolling routed leads, ending enrollments.

Task names are shared with the API (which queues sends and exits after its commit) and the
delivery module (which registers the send tasks). Each task opens its own sessions, calls one
nurture service, commits, and only then queues what follows (sends go out only for committed
outbox rows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_config import nurture_config
from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from nurture.config import NurtureConfig
from nurture.enrollments import enroll_routed
from nurture.exits import exit_for_leads
from nurture.tick import TickResult, run_tick

TICK_TASK = "nurture.tick"
ENROLL_TASK = "nurture.enroll_leads"
EXIT_TASK = "nurture.exit_leads"
SEND_TASK = "nurture.send_emails"
RETRY_SENDS_TASK = "nurture.retry_sends"
SEND_CHUNK = 500
_log = logging.getLogger("clinch.nurture")


class NurtureClients:
    """The database and nurture's config, opened on first use in the worker process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._db: tuple[Engine, sessionmaker[Session]] | None = None
        self._config: NurtureConfig | None = None

    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory, opening the database on first use."""
        if self._db is None:
            self._db = open_database(self.settings)
        return self._db[1]

    @property
    def config(self) -> NurtureConfig:
        """Return nurture's config under these settings."""
        if self._config is None:
            self._config = nurture_config(self.settings)
        return self._config


def chunks(ids: Sequence[int], size: int = SEND_CHUNK) -> list[list[int]]:
    """Return the ids in lists of at most `size`."""
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def tick_now(
    sessions: sessionmaker[Session],
    config: NurtureConfig,
    *,
    queue_sends: Callable[[list[int]], None],
    now: datetime | None = None,
) -> TickResult:
    """Run one tick; after each batch's commit, queue the sends it wrote."""

    def after_commit(send_ids: tuple[int, ...]) -> None:
        for chunk in chunks(send_ids):
            queue_sends(chunk)

    moment = now or datetime.now(UTC)
    return run_tick(sessions, config=config, now=moment, after_commit=after_commit)


def register_nurture_tasks(app: Celery, settings: Settings) -> None:
    """Register the engine's tasks (the tick, enrolling, exits)."""
    clients = NurtureClients(settings)

    def queue_sends(send_ids: list[int]) -> None:
        app.send_task(SEND_TASK, args=[send_ids])

    @app.task(name=TICK_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def tick() -> dict[str, int]:
        """Run every due enrollment's steps; safe to run twice at once (claims are exclusive)."""
        result = tick_now(clients.sessions(), clients.config, queue_sends=queue_sends)
        if result.errors:
            _log.warning("nurture tick: %d enrollments failed (see their step log)", result.errors)
        return {
            "claimed": result.claimed,
            "steps": result.steps,
            "sends": len(result.send_ids),
            "ended": result.ended,
            "errors": result.errors,
        }

    @app.task(name=ENROLL_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def enroll_leads(lead_ids: list[int]) -> dict[str, int]:
        """Enroll leads that routing sent to nurture; a decision enrolls at most once."""
        with unit_of_work(clients.sessions()) as session:
            counts = enroll_routed(
                session, lead_ids=[int(i) for i in lead_ids], at=datetime.now(UTC)
            )
        if counts.enrolled:
            app.send_task(TICK_TASK)  # their first step is due now: no need to wait for beat
        return {
            "enrolled": counts.enrolled,
            "already": counts.already,
            "paused": counts.paused,
            "unknown_sequence": counts.unknown_sequence,
            "not_nurture": counts.not_nurture,
        }

    @app.task(name=EXIT_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def exit_leads(lead_ids: list[int]) -> int:
        """End the leads' enrollments whose exit conditions now hold."""
        with unit_of_work(clients.sessions()) as session:
            ended = exit_for_leads(
                session,
                lead_ids=[int(i) for i in lead_ids],
                at=datetime.now(UTC),
                default_timezone=clients.config.default_timezone,
            )
        return len(ended)
