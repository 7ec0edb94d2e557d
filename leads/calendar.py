"""A rep's free meeting slots and whether they are working now: pure, in the rep's time zone.

Slots are laid out on the wall clock of the rep's zone (09:00, 09:30, … every working day), so
they stay at the same local hours across a daylight-saving change; a meeting's length is real
time. A local time that does not exist (the hour skipped in spring) is never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class CalendarSettings:
    """When a rep takes meetings: days, local hours, length, gap, notice and how far ahead."""

    timezone: str = "UTC"
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    meeting_minutes: int = 30
    buffer_minutes: int = 0
    notice_minutes: int = 120
    horizon_days: int = 14

    @property
    def zone(self) -> ZoneInfo:
        """Return the rep's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Busy:
    """A booked meeting's span, in UTC."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Slot:
    """A free meeting time, in UTC (format it in the rep's zone to show it)."""

    starts_at: datetime
    ends_at: datetime


def parse_hhmm(value: str) -> time:
    """Return the time of an "HH:MM" string; raise ValueError otherwise."""
    hours, sep, minutes = value.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2:
        raise ValueError(f"{value!r} is not a time of day as HH:MM")
    return time(int(hours), int(minutes))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """Return the aware local time, or None when the wall clock skips it (spring forward)."""
    local = datetime.combine(day, at, tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    return local if back.replace(tzinfo=None) == local.replace(tzinfo=None) else None


def _day_slots(day: date, settings: CalendarSettings) -> Iterable[Slot]:
    zone = settings.zone
    length = timedelta(minutes=settings.meeting_minutes)
    step = timedelta(minutes=settings.meeting_minutes + settings.buffer_minutes)
    wall = datetime.combine(day, settings.work_start)
    last_start = datetime.combine(day, settings.work_end) - length
    while wall <= last_start:
        start = _local(day, wall.time(), zone)
        if start is not None:
            begins = start.astimezone(UTC)
            ends = begins + length
            # A meeting that a DST change would push past the end of the day is not offered.
            if ends.astimezone(zone).replace(tzinfo=None) <= datetime.combine(
                day, settings.work_end
            ):
                yield Slot(begins, ends)
        wall += step


def _clashes(slot: Slot, busy: Sequence[Busy], gap: timedelta) -> bool:
    return any(slot.starts_at < b.ends_at + gap and b.starts_at < slot.ends_at + gap for b in busy)


def working_slots(settings: CalendarSettings, *, now: datetime) -> list[Slot]:
    """Return every slot of the rep's working hours from now (plus notice) to the horizon."""
    now = now.astimezone(UTC)
    earliest = now + timedelta(minutes=settings.notice_minutes)
    latest = now + timedelta(days=settings.horizon_days)
    today = now.astimezone(settings.zone).date()
    days = {DAY_NAMES.index(d) for d in settings.working_days}
    slots: list[Slot] = []
    for offset in range(settings.horizon_days + 1):
        day = today + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        slots.extend(s for s in _day_slots(day, settings) if earliest <= s.starts_at <= latest)
    return slots


def free_slots(
    settings: CalendarSettings,
    *,
    busy: Sequence[Busy],
    now: datetime,
    limit: int | None = None,
) -> list[Slot]:
    """Return the rep's free slots, soonest first: working slots that clear every booking."""
    gap = timedelta(minutes=settings.buffer_minutes)
    free = [s for s in working_slots(settings, now=now) if not _clashes(s, busy, gap)]
    return free if limit is None else free[:limit]


def is_working(settings: CalendarSettings, *, at: datetime) -> bool:
    """Return whether the rep is inside their working hours at this moment."""
    local = at.astimezone(settings.zone)
    if DAY_NAMES[local.weekday()] not in settings.working_days:
        return False
    return settings.work_start <= local.time().replace(tzinfo=None) < settings.work_end
