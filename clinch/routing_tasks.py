"""Celery tasks of routing: route freshly scored leads, and the beat's SLA sweep and queue drain.

Each task opens its own session, calls the routing service, commits, and only then queues the
delivery of the notices it wrote (so a worker never posts a notice whose assignment rolled back).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_tasks import ENROLL_TASK, EXIT_TASK
from clinch.routing_rules import RulesHolder
from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.errors import LeadNotFound
from routing.service import Routed, drain_queue, route_lead
from routing.sla import sweep_sla

DELIVER_TASK = "routing.deliver_notification"
_log = logging.getLogger("clinch.routing")


class RoutingClients:
    """The database and the rules in force, opened on first use in the worker process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules = RulesHolder(settings.routing_rules_path)
        self._db: tuple[Engine, sessionmaker[Session]] | None = None

    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory, opening the database on first use."""
        if self._db is None:
            self._db = open_database(self.settings)
        return self._db[1]


def notice_ids(routed: Iterable[Routed]) -> list[int]:
    """Return the notices a batch of routing outcomes wrote."""
    return [n for r in routed for n in r.notices]


def nurture_handoffs(routed: Iterable[Routed]) -> tuple[list[int], list[int]]:
    """Return the leads to enroll (routed to nurture) and those whose enrollments may end."""
    enroll = sorted({r.lead_id for r in routed if r.action == "nurture"})
    handed = sorted({r.lead_id for r in routed if r.action in ("assigned", "queued")})
    return enroll, handed


def route_now(
    sessions: sessionmaker[Session], holder: RulesHolder, lead_ids: list[int]
) -> list[Routed]:
    """Route leads in one unit of work (each in its own savepoint) and return the outcomes."""
    rules, now = holder.get(), datetime.now(UTC)
    done: list[Routed] = []
    with unit_of_work(sessions) as session:
        for lead_id in dict.fromkeys(lead_ids):
            try:
                with session.begin_nested():
                    done.append(route_lead(session, lead_id=lead_id, rules=rules, now=now))
            except LeadNotFound:
                _log.info("not routing lead %d: it no longer exists", lead_id)
    return done


def sweep_now(sessions: sessionmaker[Session], holder: RulesHolder) -> tuple[int, list[int]]:
    """End lapsed offers, drain the queue; return the misses handled and the notices written."""
    rules, now = holder.get(), datetime.now(UTC)
    with unit_of_work(sessions) as session:
        misses = sweep_sla(session, rules=rules, now=now)
        drained = drain_queue(session, rules=rules, now=now)
    return len(misses), notice_ids([m.routed for m in misses]) + notice_ids(drained)


def register_routing_tasks(app: Celery, settings: Settings) -> None:
    """Register `routing.route_leads` and the periodic `routing.sweep`."""
    clients = RoutingClients(settings)

    def deliver(ids: list[int]) -> None:
        for notification_id in ids:
            app.send_task(DELIVER_TASK, args=[notification_id])

    @app.task(name="routing.route_leads", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def route_leads(lead_ids: list[int]) -> dict[str, int]:
        """Route leads whose score just changed: idempotent (a routed lead stays put)."""
        routed = route_now(clients.sessions(), clients.rules, [int(i) for i in lead_ids])
        deliver(notice_ids(routed))
        enroll, handed = nurture_handoffs(routed)
        if enroll:
            app.send_task(ENROLL_TASK, args=[enroll])
        if handed:
            app.send_task(EXIT_TASK, args=[handed])  # a rep has them now: nurture lets go
        counts: dict[str, int] = {}
        for outcome in routed:
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
        return counts

    @app.task(name="routing.sweep", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def sweep() -> int:
        """Re-assign lapsed offers and hand queued leads to reps who came on shift."""
        misses, ids = sweep_now(clients.sessions(), clients.rules)
        deliver(ids)
        return misses
