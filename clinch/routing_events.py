"""The event loop of `clinch simulate routing`: timed actions and beat ticks on a moved clock.

Arrivals, follow-ups, chats, accepts, closes and breaks are actions on a heap, handled in time
order; a beat tick every interval runs the SLA sweep and the queue drain. Each action calls the
real intake and routing code, then the invariants are checked.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinch.routing_checks import Invariants, peek
from clinch.routing_world import (
    PlannedLead,
    PlannedRep,
    WorldSpec,
    accept_delay,
    closing,
    next_working,
    plan_availability,
    plan_leads,
)
from leads.calendar import is_working
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Assignment
from leads.scores import add_score
from routing import repository as repo
from routing.errors import LeadNotAssigned, NotYourLead
from routing.rep_actions import Acting, accept, dispose, set_availability
from routing.service import LoadedRules, Routed, drain_queue, route_lead
from routing.sla import sweep_sla
from scoring.scorer import Bands

Action = Callable[[datetime], None]
# Simulated time between commits: one session writes everything, so a commit is only a batch.
COMMIT_EVERY = timedelta(minutes=5)


@dataclass
class _Tally:
    misses: int = 0
    late: int = 0
    late_accepts_refused: int = 0


@dataclass
class Simulation:
    """One run: the store's session, the rules, the world, the clock and what the checks saw."""

    session: Session
    rules: LoadedRules
    spec: WorldSpec
    reps: dict[int, PlannedRep]
    beat: timedelta
    drain: bool = True
    skip_idle: bool = True
    checks: Invariants = field(init=False)
    tally: _Tally = field(default_factory=_Tally)
    last_tick: datetime = field(init=False)
    _heap: list[tuple[datetime, int, Action]] = field(default_factory=list)
    _seq: count[int] = field(default_factory=count)
    _closing: set[int] = field(default_factory=set)
    merges: int = 0
    # Whether a rep may have gained room since the last drain (a close, a rep back from a break,
    # a lapsed offer), who was on shift at it, and whether anything was written since the commit.
    _dirty: bool = True
    _written: bool = True
    _drained_on: frozenset[int] | None = None
    _committed: datetime = field(init=False)

    def __post_init__(self) -> None:
        calendars = {s.rep_id: s.calendar for s in repo.rep_states(self.session)}
        self.checks = Invariants(prefer=self.rules.rules.matching.prefer, calendars=calendars)
        self.last_tick = self._committed = self.spec.start

    def at(self, when: datetime, action: Action) -> None:
        """Schedule an action; one at or after the end of the week never happens."""
        if when < self.spec.end:
            heapq.heappush(self._heap, (when, next(self._seq), action))

    def run(self, *, on_tick: Callable[[datetime], None] | None = None) -> None:
        """Handle every event in time order, with a beat tick every interval, to the end."""
        tick = self.spec.start
        while tick <= self.spec.end:
            while self._heap and self._heap[0][0] < tick:
                when, _, action = heapq.heappop(self._heap)
                action(when)
                self._written = True
                self.checks.check(self.session, now=when, last_tick=self.last_tick)
            self.tick(tick)
            if on_tick is not None:
                on_tick(tick)
            tick += self.beat

    def tick(self, now: datetime) -> None:
        """Sweep lapsed offers, drain the queue, commit, and check."""
        due, queued = peek(self.session) if self.skip_idle else (now, 1)
        if due is not None and due <= now and self.sweep(now):
            queued = max(queued, 1)  # the sweep may have queued a lead
        on_shift = frozenset(r for r, c in self.checks.calendars.items() if is_working(c, at=now))
        if self.drain and self._may_drain(on_shift, queued):
            drained = drain_queue(self.session, rules=self.rules, now=now)
            self.offered(drained, now)
            self._dirty, self._drained_on, self._written = bool(drained), on_shift, True
        self.last_tick = now
        if not self.skip_idle or (self._written and now - self._committed >= COMMIT_EVERY):
            self.session.commit()
            self._written, self._committed = False, now
        self.checks.check(self.session, now=now, last_tick=now)

    def sweep(self, now: datetime) -> int:
        """Run the SLA sweep; return how many offers lapsed."""
        misses = sweep_sla(self.session, rules=self.rules, now=now)
        for miss in misses:
            self.tally.misses += 1
            self.tally.late += (miss.handled_at - miss.due_at) > self.beat
            self.offered([miss.routed], now)
        self._dirty = self._dirty or bool(misses)
        self._written = True
        return len(misses)

    def _may_drain(self, on_shift: frozenset[int], queued: int) -> bool:
        # A drain can do nothing with an empty queue, or when no rep can have gained room since
        # the last drain (arrivals and accepts only take room) and the same reps are on shift.
        # The check after the tick would count any lead this left behind.
        if not self.skip_idle:
            return True
        return queued > 0 and (self._dirty or on_shift != self._drained_on)

    def offered(self, routed: Iterable[Routed], now: datetime) -> None:
        """Have each newly offered lead's rep answer it (or not) after their delay."""
        for r in routed:
            if r.action != "assigned" or r.assignment_id is None or r.rep_id is None:
                continue
            row = self.session.get(Assignment, r.assignment_id)
            sla = row.sla_minutes if row is not None and row.sla_minutes else 30
            delay = accept_delay(self.spec.seed, assignment_id=r.assignment_id, sla_minutes=sla)
            if delay is not None:
                self.at(now + delay, partial(self.accept, r.lead_id, r.rep_id))

    def accept(self, lead_id: int, rep_id: int, now: datetime) -> None:
        """Accept the rep's offer of a lead; an offer that lapsed meanwhile is refused."""
        try:
            taken = accept(self.session, lead_id=lead_id, who=Acting(rep_id, actor="sim"), now=now)
        except (LeadNotAssigned, NotYourLead):
            self.tally.late_accepts_refused += 1
            return
        if taken.id in self._closing:
            return
        self._closing.add(taken.id)
        plan = closing(self.spec.seed, assignment_id=taken.id)
        when = next_working(
            self.reps[rep_id].calendar, at=now + plan.after, seed=self.spec.seed, key=taken.id
        )
        self.at(when, partial(self.close, taken.id, lead_id, rep_id, plan.outcome, plan.reason))

    def close(
        self,
        assignment_id: int,
        lead_id: int,
        rep_id: int,
        outcome: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Close an accepted lead (won, lost or nurture); the freed room drains the queue."""
        state = self.session.scalar(select(Assignment.state).where(Assignment.id == assignment_id))
        if state != "accepted":
            return  # handed on meanwhile: not this rep's to close
        drained = dispose(
            self.session,
            lead_id=lead_id,
            who=Acting(rep_id, actor="sim"),
            outcome=outcome,
            reason=reason,
            rules=self.rules,
            now=now,
        )
        self._dirty = True
        self.offered(drained, now)

    def availability(self, rep_id: int, available: bool, now: datetime) -> None:
        """Send a rep on a break or bring them back (which drains the queue to them)."""
        drained = set_availability(
            self.session, rep_id=rep_id, available=available, rules=self.rules, now=now, actor="sim"
        )
        self._dirty = True
        self.offered(drained, now)

    def arrive(self, plan: PlannedLead, now: datetime) -> None:
        """Take a lead's form (and a request for a person) through intake, score and route it."""
        traits = {
            "name": f"Prospect {plan.number}",
            "country": plan.country,
            "team_size": plan.team_size,
            "role": plan.role,
            **({"company": plan.company} if plan.company else {}),
            **({"language": plan.language} if plan.language else {}),
        }
        batch = [
            EventIn(
                f"sim-{plan.number}-form", "form_submit", now, email=plan.email, properties=traits
            )
        ]
        if plan.asks_at_arrival:
            batch.append(
                EventIn(f"sim-{plan.number}-ask", "handoff_requested", now, email=plan.email)
            )
        result = ingest_events(self.session, batch=batch, received_at=now, actor="simulator")
        lead_id = result.outcomes[0].lead_id
        assert lead_id is not None, result.outcomes[0].reason
        self.score(lead_id, plan.probability, plan.reason, now)
        if plan.asks_later_at is not None:
            self.at(plan.asks_later_at, partial(self.follow_up, lead_id, plan, "handoff_requested"))
        if plan.rescored_at is not None:
            self.at(plan.rescored_at, partial(self.follow_up, lead_id, plan, "pricing_view"))
        if plan.chats_at is not None:
            self.at(plan.chats_at, partial(self.chat, lead_id, plan))
        self.route(lead_id, now)

    def chat(self, lead_id: int, plan: PlannedLead, now: datetime) -> None:
        """Route an unknown chat visitor who asks for a person; they give their email later."""
        visitor = f"sim-visitor-{plan.number}"
        batch = [EventIn(f"sim-{plan.number}-chat", "handoff_requested", now, anonymous_id=visitor)]
        result = ingest_events(self.session, batch=batch, received_at=now, actor="simulator")
        visitor_id = result.outcomes[0].lead_id
        assert visitor_id is not None, result.outcomes[0].reason
        self.score(visitor_id, 0.05, "asked for a person in the chat", now)
        self.route(visitor_id, now)
        self.at(now + plan.identifies_after, partial(self.identify, lead_id, plan, visitor))

    def identify(self, lead_id: int, plan: PlannedLead, visitor: str, now: datetime) -> None:
        """Take the visitor's email: intake merges the visitor into the lead; route the lead."""
        event = EventIn(
            f"sim-{plan.number}-identify", "identify", now, anonymous_id=visitor, email=plan.email
        )
        result = ingest_events(self.session, batch=[event], received_at=now, actor="simulator")
        assert result.outcomes[0].status == "accepted", result.outcomes[0].reason
        self.merges += 1
        self.route(lead_id, now)

    def follow_up(self, lead_id: int, plan: PlannedLead, kind: str, now: datetime) -> None:
        """Record a later event of the lead (a request for a person, a pricing visit), route it."""
        batch = [EventIn(f"sim-{plan.number}-{kind}", kind, now, lead_id=lead_id)]
        ingest_events(self.session, batch=batch, received_at=now, actor="simulator")
        if kind == "pricing_view":
            self.score(lead_id, plan.rescore_probability, "came back to pricing", now)
        self.route(lead_id, now)

    def score(self, lead_id: int, probability: float, reason: str, now: datetime) -> None:
        """Store a score, as the scoring task would."""
        add_score(
            self.session,
            lead_id=lead_id,
            probability=probability,
            band=Bands().band(probability),
            model_version="simulated",
            features_version="simulated",
            reasons=[{"text": reason}],
            scored_at=now,
        )

    def route(self, lead_id: int, now: datetime) -> None:
        """Route a lead now and have its rep answer if it was offered."""
        self.offered([route_lead(self.session, lead_id=lead_id, rules=self.rules, now=now)], now)


def schedule_world(sim: Simulation) -> None:
    """Put the world's arrivals and breaks on the simulation's clock."""
    by_index = {r.index: rep_id for rep_id, r in sim.reps.items()}
    for plan in plan_leads(sim.spec, sim.rules.rules):
        sim.at(plan.at, partial(sim.arrive, plan))
    for change in plan_availability(sim.spec, list(sim.reps.values())):
        sim.at(change.at, partial(sim.availability, by_index[change.rep_index], change.available))
