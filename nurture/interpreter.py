"""Run an enrollment's steps until it must wait or ends: pure, with the clock passed in.

The tick (`nurture.tick`) and the marketer's dry-run call `run_steps` with a position, the lead's
facts and `now`; it returns what to write (emails for the outbox, step-log entries) and where the
enrollment stands after. Nothing here touches the database.

A position names the step to run and its *visit*. The visit is the round of the sequence the
enrollment is on: it goes up by one whenever a step leads back to a step at or above itself in
the file (a loop, which the graph checks make contain a wait). Within a round each step is entered
at most once, so (enrollment, step, visit) keys one send, and running the same position twice
(after a rollback) writes the same key.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from nurture.conditions import describe, holds
from nurture.config import NurtureConfig
from nurture.definition import (
    BranchStep,
    EmailStep,
    ExitStep,
    GoalStep,
    Sequence,
    SplitStep,
    Step,
    WaitStep,
    describe_wait,
)
from nurture.facts import LeadFacts, Position
from nurture.schedule import cap_frees_at, next_weekday_time, quiet_until, zone

__all__ = [
    "MAX_STEPS_PER_RUN",
    "EmailToWrite",
    "LeadFacts",
    "LogEntry",
    "Position",
    "RunOutcome",
    "draw_variant",
    "exit_detail",
    "exit_reason",
    "run_steps",
]

MAX_STEPS_PER_RUN = 50
_describe_wait = functools.lru_cache(maxsize=1024)(describe_wait)
ACTIVE, COMPLETED, CONVERTED, EXITED = "active", "completed", "converted", "exited"


@dataclass(frozen=True)
class EmailToWrite:
    """One outbox row to write: the step's email for this visit."""

    step_id: str
    visit: int
    template: str
    variant: str | None


@dataclass(frozen=True)
class LogEntry:
    """One step-log row: entered, sent, capped, quiet, skipped, converted, exited, ..."""

    step_id: str | None
    kind: str
    at: datetime
    variant: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What a run wrote and where the enrollment stands after it."""

    status: str  # active | completed | converted | exited
    step_id: str | None
    visit: int
    variants: Mapping[str, str]
    next_run_at: datetime | None  # None once the enrollment ended
    exit_reason: str | None = None
    emails: tuple[EmailToWrite, ...] = ()
    log: tuple[LogEntry, ...] = ()
    steps_run: int = 0
    error: str | None = None
    facts: LeadFacts | None = None  # the facts after the run (its emails count toward the cap)

    @property
    def ended(self) -> bool:
        """Return whether the enrollment is over."""
        return self.status != ACTIVE


@dataclass(frozen=True)
class _Move:
    to: str | None


@dataclass(frozen=True)
class _Wait:
    until: datetime


@dataclass(frozen=True)
class _End:
    status: str
    reason: str
    detail: str


_Next = _Move | _Wait | _End


def exit_reason(
    sequence: Sequence, facts: LeadFacts, *, entered_at: datetime, now: datetime
) -> tuple[str, str] | None:
    """Return (status, reason) when the enrollment must end now whatever its step, else None."""

    def since_entry(event_type: str) -> bool:
        seen = facts.last_seen(event_type, now=now)
        return seen is not None and seen >= entered_at

    if since_entry(sequence.goal):
        return CONVERTED, sequence.goal
    if since_entry("unsubscribe"):
        return EXITED, "unsubscribed"
    if facts.marketing_consent is False:
        return EXITED, "consent_withdrawn"
    if facts.marketing_consent is None:
        return EXITED, "no_consent"
    held = {
        "purchased": since_entry("purchase"),
        "replied": since_entry("email_replied"),
        "became_hot": facts.handed_to_routing,
    }
    for condition, holds_now in held.items():
        if holds_now and condition in sequence.exit_on:
            return EXITED, condition
    return None


_EXIT_DETAIL = {
    "unsubscribed": "the lead unsubscribed",
    "consent_withdrawn": "marketing consent was withdrawn",
    "no_consent": "the lead never gave marketing consent",
    "purchased": "the lead purchased",
    "replied": "the lead replied to an email",
    "became_hot": "handed to routing: the lead has a rep or waits for one",
}


def exit_detail(reason: str) -> str:
    """Return a step log's words for why an enrollment ended on an exit condition."""
    return _EXIT_DETAIL.get(reason, f"goal event {reason} seen")


def draw_variant(split: SplitStep, *, enrollment_id: int) -> str:
    """Return the variant an enrollment draws at a split: by weight, the same on every call."""
    digest = hashlib.sha256(f"{enrollment_id}:{split.id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v.weight for v in split.variants)
    for variant in split.variants:
        if point < variant.weight:
            return variant.name
        point -= variant.weight
    return split.variants[-1].name  # float rounding at the very top


class _Run:
    """The mutable state of one run; `run_steps` turns it into a frozen RunOutcome."""

    def __init__(
        self, sequence: Sequence, position: Position, facts: LeadFacts, now: datetime
    ) -> None:
        self.sequence, self.facts, self.now = sequence, facts, now
        self.enrollment_id = position.enrollment_id
        self.step_id: str | None = position.step_id
        self.visit = position.visit
        self.variants = dict(position.variants)
        self.emails: list[EmailToWrite] = []
        self.log: list[LogEntry] = []
        self.steps_run = 0
        self.order = {s.id: i for i, s in enumerate(sequence.steps)}

    @property
    def variant(self) -> str | None:
        # The split passed last (kept last in the mapping) labels what follows it.
        return next(reversed(self.variants.values()), None)

    def note(self, kind: str, detail: str | None = None, step_id: str | None = None) -> None:
        step = self.step_id if step_id is None else step_id
        self.log.append(LogEntry(step, kind, self.now, self.variant, detail and detail[:300]))

    def move(self, target: str) -> None:
        assert self.step_id is not None
        if self.order.get(target, 0) <= self.order.get(self.step_id, 0):
            self.visit += 1
        self.step_id = target

    def outcome(
        self,
        status: str,
        *,
        until: datetime | None,
        reason: str | None = None,
        error: str | None = None,
    ) -> RunOutcome:
        return RunOutcome(
            status=status,
            step_id=self.step_id,
            visit=self.visit,
            variants=dict(self.variants),
            next_run_at=until if status == ACTIVE else None,
            exit_reason=reason,
            emails=tuple(self.emails),
            log=tuple(self.log),
            steps_run=self.steps_run,
            error=error,
            facts=self.facts,
        )


def run_steps(
    sequence: Sequence,
    position: Position,
    facts: LeadFacts,
    *,
    now: datetime,
    config: NurtureConfig,
) -> RunOutcome:
    """Run steps from `position` until the enrollment waits or ends; return what to write."""
    run = _Run(sequence, position, facts, now)
    ended = exit_reason(sequence, facts, entered_at=position.entered_at, now=now)
    if ended is not None:
        status, reason = ended
        kind = "converted" if status == CONVERTED else "exited"
        run.note(kind, exit_detail(reason))
        return run.outcome(status, until=None, reason=reason)
    if position.due_at is not None and position.due_at > now:
        return run.outcome(ACTIVE, until=position.due_at)
    arriving = not position.started
    while run.steps_run < MAX_STEPS_PER_RUN:
        assert run.step_id is not None
        try:
            step = sequence.step(run.step_id)
        except KeyError:
            return _error(run, f"version has no step {run.step_id!r}")
        run.steps_run += 1
        found = _handle(run, step, arriving=arriving, config=config)
        if isinstance(found, _Wait):
            return run.outcome(ACTIVE, until=found.until)
        if isinstance(found, _End):
            run.note("converted" if found.status == CONVERTED else "completed", found.detail)
            return run.outcome(found.status, until=None, reason=found.reason)
        if found.to is None:
            run.note("completed", "end of the sequence")
            return run.outcome(COMPLETED, until=None, reason="completed")
        run.move(found.to)
        arriving = True
    return _error(run, f"ran {MAX_STEPS_PER_RUN} steps without a wait")


def _error(run: _Run, problem: str) -> RunOutcome:
    run.note("error", problem)
    return run.outcome(EXITED, until=None, reason="error", error=problem)


def _handle(run: _Run, step: Step, *, arriving: bool, config: NurtureConfig) -> _Next:
    if isinstance(step, EmailStep):
        if arriving:
            run.note("entered")
        return _email(run, step, config)
    if isinstance(step, WaitStep):
        if not arriving:
            return _Move(step.next)  # resumed at a wait: the wait is over
        until = _wait_until(run, step)
        run.note("entered", f"wait {_describe_wait(step)}: until {until.isoformat()[:16]} UTC")
        return _Wait(until)
    if isinstance(step, BranchStep):
        return _branch(run, step)
    if isinstance(step, SplitStep):
        return _split(run, step)
    run.note("entered")
    if isinstance(step, GoalStep):
        return _End(CONVERTED, f"goal:{step.label}"[:40], f"reached the goal {step.label}")
    assert isinstance(step, ExitStep)
    return _End(COMPLETED, step.reason[:40], f"exit step: {step.reason}")


def _wait_until(run: _Run, step: WaitStep) -> datetime:
    if step.duration is not None:
        return run.now + step.duration
    assert step.at is not None
    tz = zone(run.facts.timezone)
    return next_weekday_time(run.now, tz=tz, weekday=step.weekday, at=step.at)


def _email(run: _Run, step: EmailStep, config: NurtureConfig) -> _Next:
    facts, now = run.facts, run.now
    if not facts.email:
        run.note("skipped", "no email address: the lead has none, so this email is skipped")
        return _Move(step.next)
    tz = zone(facts.timezone)
    frees = cap_frees_at(facts.recent_sends, now=now, limit=config.max_emails_per_week)
    if frees is not None:
        # The first free slot may itself fall in quiet hours: wait for both at once.
        until = quiet_until(frees, tz=tz, start=config.quiet_start, end=config.quiet_end) or frees
        run.note(
            "capped",
            f"{config.max_emails_per_week} emails in the last 7 days; "
            f"next slot {until:%Y-%m-%d %H:%M} UTC",
        )
        return _Wait(until)
    quiet = quiet_until(now, tz=tz, start=config.quiet_start, end=config.quiet_end)
    if quiet is not None:
        run.note("quiet", f"quiet hours in {facts.timezone}; sends at {quiet:%Y-%m-%d %H:%M} UTC")
        return _Wait(quiet)
    run.emails.append(EmailToWrite(step.id, run.visit, step.template, run.variant))
    run.facts = facts.with_send(now)
    run.note("sent", f"template {step.template} to the outbox")
    return _Move(step.next)


def _branch(run: _Run, step: BranchStep) -> _Next:
    for condition, goto in step.cases:
        if holds(condition, facts=run.facts, now=run.now):
            run.note("entered", f"{describe(condition)} → {goto}")
            return _Move(goto)
    run.note("entered", f"otherwise → {step.otherwise}")
    return _Move(step.otherwise)


def _split(run: _Run, step: SplitStep) -> _Next:
    name = run.variants.pop(step.id, None) or draw_variant(step, enrollment_id=run.enrollment_id)
    run.variants[step.id] = name  # re-inserted last: the variant now in force
    goto = next((v.goto for v in step.variants if v.name == name), step.variants[0].goto)
    run.note("entered", f"variant {name} → {goto}")
    return _Move(goto)
