"""The invariants `clinch simulate routing` checks, and the figures it reads from the store after.

A person is a lead followed through merges (`merged_into_id`), so two leads that turn out to be
one prospect count as one. Checks read the store as the routing code left it; they change nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from leads.calendar import CalendarSettings
from leads.models import (
    LIVE_ASSIGNMENT_STATES,
    Assignment,
    Lead,
    QueuedLead,
    RoutingDecision,
    as_utc,
)
from routing import repository as repo
from routing.assignment import RepState, Want, pick_rep

_PERSON = func.coalesce(Lead.merged_into_id, Lead.id)


# Read with the DBAPI cursor of the session's connection: a check runs after every event, and
# the ORM would cost more than the routing it checks. Each SQL mirrors a repository function.
_OPEN_BY_REP = (
    "SELECT rep_id, count(*) FROM assignments WHERE state IN ('offered', 'accepted') "
    "GROUP BY rep_id"
)
_LIVE_TWICE = (
    "SELECT coalesce(l.merged_into_id, l.id) AS person FROM assignments a "
    "JOIN leads l ON l.id = a.lead_id WHERE a.state IN ('offered', 'accepted') "
    "GROUP BY person HAVING count(*) > 1"
)
_QUEUED_WANTS = (
    "SELECT segment, territory, language, excluded_rep_ids, preferred_rep_id, count(*) "
    "FROM routing_queue GROUP BY segment, territory, language, excluded_rep_ids, "
    "preferred_rep_id"
)
_REPS = (
    "SELECT id, segments, team, territory, languages, capacity, available, active, rr_credit "
    "FROM reps ORDER BY id"
)
# Every so many checks, the reps read here are compared with routing's own rep_states.
SELF_CHECK_EVERY = 500
_EARLIEST_DUE = "SELECT min(sla_due_at) FROM assignments WHERE state = 'offered'"
_QUEUE_SIZE = "SELECT count(*) FROM routing_queue"


def _read(session: Session, *sql: str) -> list[list[tuple[Any, ...]]]:
    """Return the rows of each query, read after one flush on the session's own connection."""
    session.flush()
    cursor = session.connection().connection.cursor()
    try:
        return [list(cursor.execute(q).fetchall()) for q in sql]
    finally:
        cursor.close()


def peek(session: Session) -> tuple[datetime | None, int]:
    """Return the soonest SLA due time of an offer not yet accepted, and the queue's length."""
    due, size = _read(session, _EARLIEST_DUE, _QUEUE_SIZE)
    value = due[0][0]
    return (as_utc(datetime.fromisoformat(value)) if value else None), int(size[0][0])


@dataclass
class Invariants:
    """What the checks saw: offerable queued leads, doubly assigned people, open leads per rep."""

    prefer: tuple[str, ...]
    calendars: dict[int, CalendarSettings]
    checks: int = 0
    unassigned_with_capacity: int = 0
    doubly_assigned: set[int] = field(default_factory=set)
    max_open: dict[int, int] = field(default_factory=dict)
    _parsed: dict[tuple[Any, ...], RepState] = field(default_factory=dict)

    def check(self, session: Session, *, now: datetime, last_tick: datetime) -> None:
        """Count queued leads a rep could take now, and people with two live assignments."""
        self.checks += 1
        by_rep, twice, queued, reps = _read(
            session, _OPEN_BY_REP, _LIVE_TWICE, _QUEUED_WANTS, _REPS
        )
        open_leads = {int(r): int(n) for r, n in by_rep}
        for rep_id, n in open_leads.items():
            self.max_open[rep_id] = max(self.max_open.get(rep_id, 0), n)
        self.doubly_assigned.update(int(p) for (p,) in twice)
        if not queued:
            return
        states = self._states(reps, open_leads)
        if self.checks % SELF_CHECK_EVERY == 1 and states != repo.rep_states(session):
            raise AssertionError("the checks read rep states unlike routing.repository.rep_states")
        if self._offerable(states, queued, now=now, last_tick=last_tick):
            # Confirm (and count) with the rep states the routing code itself reads.
            real = repo.rep_states(session)
            self.unassigned_with_capacity += self._offerable(
                real, queued, now=now, last_tick=last_tick
            )

    def _states(self, reps: list[tuple[Any, ...]], open_leads: dict[int, int]) -> list[RepState]:
        states = []
        for row in reps:
            state = self._parsed.get(row)
            if state is None:
                state = self._parsed[row] = self._state(row)
            states.append(replace(state, open_leads=open_leads.get(state.rep_id, 0)))
        return states

    def _state(self, row: tuple[Any, ...]) -> RepState:
        rep_id, segments, team, territory, languages, capacity, available, active, credit = row
        return RepState(
            rep_id=int(rep_id),
            segments=tuple(json.loads(segments or "[]") or ([team] if team else [])),
            territory=territory,
            languages=tuple(json.loads(languages or "[]")),
            calendar=self.calendars[int(rep_id)],
            capacity=int(capacity),
            open_leads=0,
            available=bool(available),
            active=bool(active),
            credit=float(credit),
        )

    def _offerable(
        self,
        states: list[RepState],
        queued: list[tuple[Any, ...]],
        *,
        now: datetime,
        last_tick: datetime,
    ) -> int:
        # A rep whose shift began after the last beat tick is not counted: the beat notices it.
        ready = [s for s in states if s.can_take(now) and s.can_take(last_tick)]
        if not ready:
            return 0
        found = 0
        for segment, territory, language, excluded, preferred, n in queued:
            want = Want(segment, territory, language, self.prefer)
            pick = pick_rep(
                ready,
                want,
                now=now,
                excluded=tuple(json.loads(excluded) if excluded else ()),
                preferred_rep_id=preferred,
            )
            found += n if pick is not None else 0
        return found


def live_twice(session: Session) -> list[int]:
    """Return the people with more than one offered or accepted assignment."""
    query = (
        select(_PERSON)
        .select_from(Assignment)
        .join(Lead, Lead.id == Assignment.lead_id)
        .where(Assignment.state.in_(LIVE_ASSIGNMENT_STATES))
        .group_by(_PERSON)
        .having(func.count() > 1)
    )
    return [int(p) for p in session.scalars(query)]


def overlapping(session: Session, *, end: datetime) -> set[int]:
    """Return the people offered to reps at overlapping times, from the assignments table.

    An offer closed because its lead merged into another (disposition "merged") is left out: it
    was live only before the merge, as the offer of a lead nobody knew was this person; a double
    at the merge itself is what the live check after every event sees.
    """
    query = (
        select(_PERSON, Assignment.created_at, Assignment.ended_at, Assignment.disposition)
        .select_from(Assignment)
        .join(Lead, Lead.id == Assignment.lead_id)
        .order_by(_PERSON, Assignment.created_at, Assignment.id)
    )
    found: set[int] = set()
    last: tuple[int, datetime] | None = None
    for person, created, ended, disposition in session.execute(query):
        if disposition == "merged":
            continue
        start, stop = as_utc(created), as_utc(ended) if ended is not None else end
        if last is not None and last[0] == person and start < last[1]:
            found.add(int(person))
        if last is None or last[0] != person or stop > last[1]:
            last = (int(person), stop)
    return found


def reoffered_misses(session: Session) -> int:
    """Return how many lapsed offers were followed by another offer of the lead (now or later)."""
    query = (
        select(_PERSON, Assignment.state)
        .select_from(Assignment)
        .join(Lead, Lead.id == Assignment.lead_id)
        .order_by(_PERSON, Assignment.created_at, Assignment.id)
    )
    rows = list(session.execute(query))
    return sum(
        1 for (person, state), after in pairwise(rows) if state == "missed" and after[0] == person
    )


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 1)


def time_to_assign(session: Session) -> dict[str, float | None]:
    """Return p50 and p95 seconds from a person's first "assign" decision to the next offer."""
    decided = dict(
        session.execute(
            select(_PERSON, func.min(RoutingDecision.decided_at))
            .select_from(RoutingDecision)
            .join(Lead, Lead.id == RoutingDecision.lead_id)
            .where(RoutingDecision.action == "assign")
            .group_by(_PERSON)
        )
        .tuples()
        .all()
    )
    offers: dict[int, list[datetime]] = defaultdict(list)
    query = select(_PERSON, Assignment.created_at).join(Lead, Lead.id == Assignment.lead_id)
    for person, created in session.execute(query):
        offers[int(person)].append(as_utc(created))
    waits = []
    for person, at in decided.items():
        later = [o for o in offers.get(int(person), []) if o >= as_utc(at)]
        if later:
            waits.append((min(later) - as_utc(at)).total_seconds())
    return {"p50": _percentile(waits, 0.5), "p95": _percentile(waits, 0.95)}


def per_rep(
    session: Session, *, max_open: dict[int, int], names: dict[int, str]
) -> list[dict[str, Any]]:
    """Return each rep's offers, accepts, misses, closes, most open leads seen, and cap."""
    counts = {
        int(rep_id): (int(offered), int(accepted), int(missed or 0), int(closed or 0))
        for rep_id, offered, accepted, missed, closed in session.execute(
            select(
                Assignment.rep_id,
                func.count(),
                func.count(Assignment.accepted_at),
                func.sum(case((Assignment.state == "missed", 1), else_=0)),
                func.sum(case((Assignment.state == "closed", 1), else_=0)),
            ).group_by(Assignment.rep_id)
        )
    }
    rows = []
    for state in repo.rep_states(session):
        offered, accepted, missed, closed = counts.get(state.rep_id, (0, 0, 0, 0))
        rows.append(
            {
                "rep": names.get(state.rep_id, str(state.rep_id)),
                "offered": offered,
                "accepted": accepted,
                "missed": missed,
                "closed": closed,
                "max_open": max_open.get(state.rep_id, 0),
                "capacity": state.capacity,
            }
        )
    return rows


def outcomes(session: Session) -> dict[str, int]:
    """Return how many people were offered to a rep, queued now, nurtured, and disqualified."""
    offered = select(_PERSON).select_from(Assignment).join(Lead, Lead.id == Assignment.lead_id)
    decided = (
        select(RoutingDecision.action, func.count(func.distinct(_PERSON)))
        .select_from(RoutingDecision)
        .join(Lead, Lead.id == RoutingDecision.lead_id)
        .where(_PERSON.not_in(offered))
        .group_by(RoutingDecision.action)
    )
    by_action = {str(a): int(n) for a, n in session.execute(decided)}
    return {
        "assigned": len(set(session.scalars(offered))),
        "queued_at_end": int(session.scalar(select(func.count()).select_from(QueuedLead)) or 0),
        "nurture": by_action.get("nurture", 0),
        "disqualified": by_action.get("disqualify", 0),
    }
