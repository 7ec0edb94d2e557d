"""What the engine knows of a lead and of an enrollment's place: plain values, no SQL.

The tick loads these for a whole batch in a few queries (`nurture.fact_loader`); the dry-run builds
them from simulated histories. The interpreter reads nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime


@dataclass(frozen=True)
class LeadFacts:
    """A lead as the engine sees it at one moment."""

    lead_id: int
    email: str | None
    timezone: str  # IANA zone: the lead's own, its country's, or the configured default
    band: str | None = None  # the newest score's band
    # Lead traits, `status` and `email_domain`, as branch conditions read them.
    fields: Mapping[str, str | None] = field(default_factory=dict)
    # (event type, occurred_at): the tick passes each type's latest occurrence, which is all
    # the rules need ("seen", "seen within", "seen since entry").
    events: tuple[tuple[str, datetime], ...] = ()
    marketing_consent: bool | None = None  # the standing decision; None: never asked
    handed_to_routing: bool = False  # a live rep assignment, or waiting in routing's queue
    recent_sends: tuple[datetime, ...] = ()  # pending or sent emails, any sequence, last 7 days

    def last_seen(self, event_type: str, *, now: datetime) -> datetime | None:
        """Return the latest time an event of this type occurred, not after `now`."""
        times = [at for kind, at in self.events if kind == event_type and at <= now]
        return max(times) if times else None

    def with_send(self, at: datetime) -> LeadFacts:
        """Return the facts with one more email written at `at` (the cap counts it)."""
        return replace(self, recent_sends=(*self.recent_sends, at))


@dataclass(frozen=True)
class Position:
    """Where an enrollment stands before a run."""

    enrollment_id: int
    step_id: str
    visit: int
    entered_at: datetime  # when the lead entered the sequence; exits count events after it
    variants: Mapping[str, str] = field(default_factory=dict)
    # False until the first step has run: the run then enters the first step rather than
    # resuming it (a wait step resumed is a wait that is over).
    started: bool = False
    due_at: datetime | None = None
