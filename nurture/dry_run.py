"""A dry-run: what a sequence would do to a sample of leads over the coming days, writing nothing.

Each sampled lead enters the sequence now and is walked through it by the engine's own pure
interpreter (`nurture.interpreter.run_steps`) on a simulated clock that jumps from one due time to
the next: waits, quiet hours in the lead's zone, the weekly cap (its real recent sends count),
branches on what the lead has done so far, splits drawn by weight, exits for missing consent.
The lead's facts are read once, as of now; nothing the simulated emails might cause (a click, a
purchase) is invented.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.errors import LeadNotFound
from leads.models import Lead
from nurture.config import NurtureConfig
from nurture.definition import EmailStep
from nurture.definition import Sequence as Steps
from nurture.fact_loader import events_read, load_facts
from nurture.facts import LeadFacts, Position
from nurture.interpreter import ACTIVE, run_steps
from nurture.sequences import load_version

MAX_SAMPLE = 500
MAX_DAYS = 90
MAX_RUNS_PER_LEAD = 2000  # each run ends in a wait that moves the clock on, so this is a guard
_RESUME = timedelta(minutes=1)  # as the tick does: a step due now runs again a minute later
COUNTED = ("entered", "sent", "capped", "quiet", "skipped", "converted", "exited", "completed")


@dataclass(frozen=True)
class PathEntry:
    """One thing that would happen to a lead."""

    at: datetime
    step_id: str | None
    kind: str
    detail: str | None
    variant: str | None


@dataclass(frozen=True)
class LeadPath:
    """A sampled lead's way through the sequence and where it would stand at the end."""

    lead_id: int
    email: str | None
    status: str  # active (still in it when the window ends) | completed | converted | exited
    exit_reason: str | None
    step_id: str | None
    emails: int
    entries: tuple[PathEntry, ...]


@dataclass(frozen=True)
class StepSimulation:
    """One step: how many sampled leads would reach it, be sent its email, and when."""

    step_id: str
    kind: str
    template: str | None
    counts: dict[str, int]
    first_send_at: datetime | None
    median_send_day: float | None


@dataclass(frozen=True)
class DryRun:
    """What the sequence would do to the sample within the window."""

    key: str
    version: int
    start: datetime
    days: int
    sampled: int
    emails: int
    emails_by_day: tuple[int, ...]
    outcomes: dict[str, int]
    exit_reasons: dict[str, int]
    steps: tuple[StepSimulation, ...]
    leads: tuple[LeadPath, ...]


def simulate_lead(
    steps: Steps, facts: LeadFacts, *, start: datetime, end: datetime, config: NurtureConfig
) -> LeadPath:
    """Walk one lead through the steps from `start` until it ends or the clock passes `end`."""
    position = Position(enrollment_id=facts.lead_id, step_id=steps.first, visit=1, entered_at=start)
    clock, emails = start, 0
    entries: list[PathEntry] = []
    for _ in range(MAX_RUNS_PER_LEAD):
        outcome = run_steps(steps, position, facts, now=clock, config=config)
        entries.extend(PathEntry(e.at, e.step_id, e.kind, e.detail, e.variant) for e in outcome.log)
        emails += len(outcome.emails)
        facts = outcome.facts or facts
        due = outcome.next_run_at
        if outcome.ended or due is None or due > end:
            status, reason = outcome.status, outcome.exit_reason
            step_id = outcome.step_id
            break
        position = replace(
            position,
            step_id=outcome.step_id or steps.first,
            visit=outcome.visit,
            variants=dict(outcome.variants),
            started=True,
            due_at=max(due, clock + _RESUME),
        )
        clock = position.due_at or clock
    else:  # pragma: no cover - a definition that passed the checks always waits
        status, reason, step_id = ACTIVE, None, position.step_id
    return LeadPath(
        lead_id=facts.lead_id,
        email=facts.email,
        status=status,
        exit_reason=reason,
        step_id=step_id,
        emails=emails,
        entries=tuple(entries),
    )


def simulate(
    steps: Steps,
    facts: Sequence[LeadFacts],
    *,
    key: str,
    version: int,
    start: datetime,
    days: int,
    config: NurtureConfig,
) -> DryRun:
    """Simulate the steps for every lead over `days` from `start` (pure)."""
    end = start + timedelta(days=days)
    paths = tuple(simulate_lead(steps, f, start=start, end=end, config=config) for f in facts)
    sends = [e.at for p in paths for e in p.entries if e.kind == "sent"]
    by_day = Counter(min(days - 1, int((at - start) / timedelta(days=1))) for at in sends)
    return DryRun(
        key=key,
        version=version,
        start=start,
        days=days,
        sampled=len(paths),
        emails=len(sends),
        emails_by_day=tuple(by_day.get(d, 0) for d in range(days)),
        outcomes=dict(Counter(p.status for p in paths)),
        exit_reasons=dict(Counter(p.exit_reason for p in paths if p.exit_reason)),
        steps=tuple(_step_simulation(steps, step.id, paths, start) for step in steps.steps),
        leads=paths,
    )


def _step_simulation(
    steps: Steps, step_id: str, paths: Iterable[LeadPath], start: datetime
) -> StepSimulation:
    step = steps.step(step_id)
    leads: dict[str, set[int]] = {kind: set() for kind in COUNTED}
    send_times: list[datetime] = []
    for path in paths:
        for entry in path.entries:
            if entry.step_id == step_id and entry.kind in leads:
                leads[entry.kind].add(path.lead_id)
                if entry.kind == "sent":
                    send_times.append(entry.at)
    days = [(at - start) / timedelta(days=1) for at in send_times]
    return StepSimulation(
        step_id=step_id,
        kind=type(step).__name__.removesuffix("Step").lower(),
        template=step.template if isinstance(step, EmailStep) else None,
        counts={kind: len(ids) for kind, ids in leads.items()},
        first_send_at=min(send_times) if send_times else None,
        median_send_day=round(statistics.median(days), 2) if days else None,
    )


def sample_leads(
    session: Session, *, size: int, lead_ids: Sequence[int] | None, seed: int | None
) -> list[int]:
    """Return the given lead ids (all must exist), or `size` random leads that have an email."""
    if lead_ids:
        wanted = list(dict.fromkeys(lead_ids))
        found = set(session.scalars(select(Lead.id).where(Lead.id.in_(wanted))))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise LeadNotFound(f"no lead has id {', '.join(map(str, missing[:20]))}")
        return wanted[:MAX_SAMPLE]
    candidates = list(
        session.scalars(
            select(Lead.id)
            .where(Lead.email.is_not(None), Lead.merged_into_id.is_(None))
            .order_by(Lead.id)
        )
    )
    return sorted(random.Random(seed).sample(candidates, min(size, len(candidates))))


def dry_run(
    session: Session,
    *,
    key: str,
    now: datetime,
    config: NurtureConfig,
    days: int = 30,
    sample: int = 50,
    lead_ids: Sequence[int] | None = None,
    version: int | None = None,
    seed: int | None = None,
) -> DryRun:
    """Simulate a sequence's version (the latest by default) for sampled leads; write nothing."""
    number, steps = load_version(session, key=key, version=version)
    ids = sample_leads(session, size=min(sample, MAX_SAMPLE), lead_ids=lead_ids, seed=seed)
    facts = load_facts(
        session,
        lead_ids=ids,
        now=now,
        event_types=events_read([steps]),
        default_timezone=config.default_timezone,
    )
    ordered = [facts[i] for i in ids if i in facts]
    days = max(1, min(days, MAX_DAYS))
    return simulate(steps, ordered, key=key, version=number, start=now, days=days, config=config)
