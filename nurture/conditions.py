"""Branch tests: an event seen (optionally within a span back from now), a score band, a field."""

from __future__ import annotations

from datetime import datetime

from nurture.definition import Condition
from nurture.durations import format_duration
from nurture.facts import LeadFacts


def _same(value: str, other: str) -> bool:
    return value.strip().casefold() == other.strip().casefold()


def _field_holds(condition: Condition, value: str | None) -> bool:
    present = value is not None and value.strip() != ""
    if condition.exists is not None:
        return present == condition.exists
    if not present:
        return False
    assert value is not None
    if condition.equals is not None:
        return _same(value, condition.equals)
    return any(_same(value, option) for option in condition.one_of or ())


def holds(condition: Condition, *, facts: LeadFacts, now: datetime) -> bool:
    """Return whether a branch condition holds for the lead at `now`."""
    if condition.event is not None:
        seen = facts.last_seen(condition.event, now=now)
        if seen is None:
            return False
        return condition.within is None or seen >= now - condition.within
    if condition.bands is not None:
        return facts.band is not None and facts.band in condition.bands
    assert condition.field is not None  # the definition checked one kind is set
    return _field_holds(condition, facts.fields.get(condition.field))


def describe(condition: Condition) -> str:
    """Return a condition as a step log's detail reads it: "event pricing_view within 7d"."""
    if condition.event is not None:
        within = f" within {format_duration(condition.within)}" if condition.within else ""
        return f"event {condition.event}{within}"
    if condition.bands is not None:
        return f"band in {', '.join(condition.bands)}"
    if condition.exists is not None:
        return f"{condition.field} {'exists' if condition.exists else 'is empty'}"
    if condition.equals is not None:
        return f"{condition.field} = {condition.equals}"
    return f"{condition.field} in {', '.join(condition.one_of or ())}"
