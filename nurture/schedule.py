"""Clocks of nurture: a lead's time zone, quiet hours, the next weekday/time, the weekly cap.

Every function takes and returns aware datetimes; local wall times are built with zoneinfo, so a
wait across a daylight-saving change lands on the wall time the marketer wrote (a time that does
not exist that day, inside the spring-forward gap, moves on by the gap).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz

CAP_WINDOW = timedelta(days=7)


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """Return the IANA zone with this name (cached: the tick asks for the same few many times)."""
    return ZoneInfo(name)


@functools.lru_cache(maxsize=512)
def _country_zone(country: str) -> str | None:
    try:
        zones = pytz.country_timezones(country.strip())
    except (KeyError, AttributeError):
        return None
    return zones[0] if zones else None


def lead_zone_name(*, timezone: str | None, country: str | None, default: str) -> str:
    """Return the lead's zone: its own, else its country's first zone, else the default."""
    for candidate in (timezone, _country_zone(country) if country else None):
        if candidate:
            try:
                zone(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return candidate
    return default


def local_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of a wall time on a day in a zone (gap times move on by the gap)."""
    # fold=0 reads a time in the spring-forward gap with the offset before it, which lands after
    # the gap; a repeated autumn time is its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def is_quiet(now: datetime, *, tz: ZoneInfo, start: time, end: time) -> bool:
    """Return whether `now` is inside quiet hours in the zone (the span may cross midnight)."""
    if start == end:
        return False
    local = now.astimezone(tz).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, *, tz: ZoneInfo, start: time, end: time) -> datetime | None:
    """Return when quiet hours around `now` end (UTC), or None when it is not quiet."""
    if not is_quiet(now, tz=tz, start=start, end=end):
        return None
    local = now.astimezone(tz)
    day = local.date()
    # Past the start of a span that crosses midnight: it ends tomorrow morning.
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)
    ends = local_at(day, end, tz)
    return ends if ends > now else local_at(day + timedelta(days=1), end, tz)


def next_weekday_time(now: datetime, *, tz: ZoneInfo, weekday: int | None, at: time) -> datetime:
    """Return the next instant strictly after `now` that is `at` on `weekday` (any day if None)."""
    today = now.astimezone(tz).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if weekday is not None and day.weekday() != weekday:
            continue
        moment = local_at(day, at, tz)
        if moment > now:
            return moment
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


def cap_frees_at(
    sends: Iterable[datetime], *, now: datetime, limit: int, window: timedelta = CAP_WINDOW
) -> datetime | None:
    """Return when one more email fits under `limit` per rolling window, or None if it fits now."""
    recent = sorted(s for s in sends if now - window < s <= now)
    if len(recent) < limit:
        return None
    if limit <= 0:
        return now + window  # a cap of zero never frees; look again a window later
    # The window must drop all but limit - 1 of them: the oldest that has to leave decides.
    return recent[len(recent) - limit] + window
