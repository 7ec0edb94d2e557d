"""Durations as marketers write them: "90m", "36h", "2d", "1w", "1d 12h"."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Return the duration of "2d", "36h", "1d 12h" …; raise ValueError naming the format."""
    cleaned = text.strip().lower()
    parts = _PART.findall(cleaned)
    if not cleaned or _PART.sub("", cleaned).strip():
        raise ValueError(
            f"{text!r} is not a duration; write minutes, hours, days or weeks: 90m, 36h, 2d, 1w"
        )
    total = sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), timedelta())
    if total <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    if total > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than a year")
    return total


def format_duration(value: timedelta) -> str:
    """Return a duration as "2d", "1d 12h", "90m" (the inverse of parse_duration)."""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or "0m"
