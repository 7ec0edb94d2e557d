"""Which rep gets a lead: matching, working hours, capacity and smooth weighted round robin. Pure.

Among the reps who can take a lead now (active, available, in their working hours, under their
open-lead cap), those matching the lead's segment and every preferred fact (territory, language)
come first; failing that, those matching the segment and the most preferred facts. Within that
tier the pick is a smooth weighted round robin (nginx's) whose weights are free capacity: a rep
with twice the room gets twice the leads, interleaved, and the running credits are kept between
picks so the order survives restarts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from leads.calendar import CalendarSettings, is_working


@dataclass(frozen=True)
class RepState:
    """A rep as assignment sees them."""

    rep_id: int
    segments: tuple[str, ...]
    territory: str | None
    languages: tuple[str, ...]
    calendar: CalendarSettings
    capacity: int
    open_leads: int
    available: bool
    active: bool
    credit: float = 0.0
    # A person named this rep (a manual re-assignment): hours, availability and cap give way.
    always: bool = False

    @property
    def free(self) -> int:
        """Return how many more leads the rep can hold."""
        return max(0, self.capacity - self.open_leads)

    def can_take(self, now: datetime) -> bool:
        """Return whether the rep can be offered a lead now."""
        if self.always:
            return self.active
        return (
            self.active and self.available and self.free > 0 and is_working(self.calendar, at=now)
        )


@dataclass(frozen=True)
class Want:
    """What a lead needs of a rep."""

    segment: str
    territory: str | None
    language: str | None
    prefer: tuple[str, ...] = ("territory", "language")


@dataclass(frozen=True)
class Pick:
    """The chosen rep, the reasons, and every candidate's new round-robin credit."""

    rep_id: int
    reasons: tuple[str, ...]
    credits: dict[int, float]


def _fit(rep: RepState, want: Want) -> int | None:
    """Return how many preferred facts the rep matches, or None if the segment does not."""
    if want.segment not in rep.segments:
        return None
    score = 0
    for fact in want.prefer:
        if fact == "territory" and want.territory is not None and rep.territory == want.territory:
            score += 1
        if fact == "language" and (want.language is None or want.language in rep.languages):
            score += 1
    return score


def matching_reps(reps: Sequence[RepState], want: Want) -> list[RepState]:
    """Return the active reps whose segment matches, whether or not they can take a lead now."""
    return [r for r in reps if r.active and _fit(r, want) is not None]


def pick_rep(
    reps: Sequence[RepState],
    want: Want,
    *,
    now: datetime,
    excluded: Collection[int] = (),
    preferred_rep_id: int | None = None,
) -> Pick | None:
    """Return the rep to offer the lead to now, or None when no matching rep can take it."""
    ready = [r for r in reps if r.rep_id not in excluded and r.can_take(now)]
    if preferred_rep_id is not None and preferred_rep_id in {r.rep_id for r in ready}:
        return Pick(preferred_rep_id, ("owns the account",), {})
    fits = {r.rep_id: f for r in ready if (f := _fit(r, want)) is not None}
    if not fits:
        return None
    best = max(fits.values())
    tier = [r for r in ready if fits.get(r.rep_id) == best]
    total = sum(r.free for r in tier)
    credits = {r.rep_id: r.credit + r.free for r in tier}
    chosen = max(tier, key=lambda r: (credits[r.rep_id], -r.rep_id))
    credits[chosen.rep_id] -= total
    matched = [f for f in want.prefer if _matches_fact(chosen, want, f)]
    why = f"matches {', '.join(['segment', *matched])}; {chosen.free} of {chosen.capacity} free"
    return Pick(chosen.rep_id, (why,), credits)


def _matches_fact(rep: RepState, want: Want, fact: str) -> bool:
    if fact == "territory":
        return want.territory is not None and rep.territory == want.territory
    return want.language is not None and want.language in rep.languages
