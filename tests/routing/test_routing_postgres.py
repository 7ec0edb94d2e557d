"""Two workers racing on a real PostgreSQL server never hand one lead out twice."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.models import Assignment, RoutingDecision
from routing.service import Routed, route_lead
from routing.sla import Miss, sweep_sla
from tests.routing.factories import MONDAY, add_reps, loaded, make_lead

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]
RULES = loaded()


def _race(
    sessions: sessionmaker[Session], work: Callable[[Session], list[object]]
) -> tuple[list[object], list[object]]:
    """Run `work` in a first session left open while a second worker runs it too."""
    first = sessions()
    mine = work(first)  # written, not committed: the second worker must wait on our rows
    theirs: list[object] = []

    def second() -> None:
        with unit_of_work(sessions) as session:
            theirs.extend(work(session))

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the second worker should wait for the first to commit"
    first.commit()
    first.close()
    racer.join(timeout=10)
    assert not racer.is_alive()
    return mine, theirs


def _live(sessions: sessionmaker[Session], lead: int) -> int:
    with sessions() as session:
        query = select(func.count()).where(
            Assignment.lead_id == lead, Assignment.state.in_(("offered", "accepted"))
        )
        return int(session.scalar(query) or 0)


def test_two_sweeps_of_one_lapsed_offer_reassign_it_once(
    pg_sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(pg_sessions) as session:
        add_reps(session)
        lead = make_lead(session, email="race@buyer.test", probability=0.9, country="DE")
        route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
    later = MONDAY + timedelta(minutes=6)

    def sweep(session: Session) -> list[object]:
        misses: list[Miss] = sweep_sla(session, rules=RULES, now=later)
        return list(misses)

    mine, theirs = _race(pg_sessions, sweep)
    assert (len(mine), len(theirs)) == (1, 0)
    assert _live(pg_sessions, lead) == 1
    with pg_sessions() as session:
        states = sorted(session.scalars(select(Assignment.state)))
    assert states == ["missed", "offered"]


def test_two_workers_routing_one_lead_assign_it_once(
    pg_sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(pg_sessions) as session:
        add_reps(session)
        lead = make_lead(session, email="twice@buyer.test", probability=0.9, country="US")

    def route(session: Session) -> list[object]:
        routed: Routed = route_lead(session, lead_id=lead, rules=RULES, now=MONDAY)
        return [routed.action]

    mine, theirs = _race(pg_sessions, route)
    assert mine == ["assigned"]
    assert theirs == ["unchanged"]
    assert _live(pg_sessions, lead) == 1
    with pg_sessions() as session:
        # The loser's decision rolled back with its offer: one decision, one audit entry.
        decisions = session.scalar(
            select(func.count()).select_from(RoutingDecision).where(RoutingDecision.lead_id == lead)
        )
    assert decisions == 1
