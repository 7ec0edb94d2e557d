"""Free meeting slots from a rep's calendar settings: hours, zones, DST, bookings, horizon."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leads.calendar import Busy, CalendarSettings, free_slots, is_working, working_slots

NY = "America/New_York"
# Friday 6 March 2026, 12:00 UTC (07:00 in New York, before its DST change on Sunday 8 March).
FRIDAY = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


def _local(slot_start: datetime, zone: str) -> datetime:
    return slot_start.astimezone(ZoneInfo(zone))


def test_slots_lie_inside_working_hours_on_working_days() -> None:
    settings = CalendarSettings(timezone=NY, notice_minutes=0, horizon_days=7)
    slots = free_slots(settings, busy=[], now=FRIDAY)
    assert slots, "a working week has slots"
    for slot in slots:
        local = _local(slot.starts_at, NY)
        assert local.weekday() < 5
        assert time(9, 0) <= local.time()
        assert _local(slot.ends_at, NY).time() <= time(17, 0)
        assert slot.ends_at - slot.starts_at == timedelta(minutes=30)
    # Friday's first slot is 09:00 New York time (EST, UTC-5) = 14:00 UTC.
    assert slots[0].starts_at == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert len([s for s in slots if _local(s.starts_at, NY).date().day == 6]) == 16


def test_slots_keep_local_hours_across_a_dst_change() -> None:
    settings = CalendarSettings(timezone=NY, notice_minutes=0, horizon_days=5)
    slots = free_slots(settings, busy=[], now=FRIDAY)
    monday = [s for s in slots if _local(s.starts_at, NY).date().day == 9]
    friday = [s for s in slots if _local(s.starts_at, NY).date().day == 6]
    # 09:00 local both days, but one hour earlier in UTC after clocks went forward.
    assert friday[0].starts_at.hour == 14
    assert monday[0].starts_at.hour == 13
    assert _local(monday[0].starts_at, NY).isoformat() == "2026-03-09T09:00:00-04:00"
    assert _local(friday[0].starts_at, NY).isoformat() == "2026-03-06T09:00:00-05:00"


def test_the_skipped_hour_of_spring_forward_is_never_offered() -> None:
    settings = CalendarSettings(
        timezone=NY,
        working_days=("sun",),
        work_start=time(1, 0),
        work_end=time(4, 0),
        notice_minutes=0,
        horizon_days=3,
    )
    slots = free_slots(settings, busy=[], now=FRIDAY)
    starts = [_local(s.starts_at, NY).strftime("%H:%M") for s in slots]
    assert starts == ["01:00", "01:30", "03:00", "03:30"]
    # Every slot is real time: 30 minutes each, none overlapping.
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(slots))


def test_time_zones_move_the_same_hours_in_utc() -> None:
    berlin = CalendarSettings(timezone="Europe/Berlin", notice_minutes=0, horizon_days=3)
    tokyo = CalendarSettings(timezone="Asia/Tokyo", notice_minutes=0, horizon_days=3)
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    assert free_slots(berlin, busy=[], now=monday)[0].starts_at == datetime(
        2026, 3, 9, 8, 0, tzinfo=UTC
    )  # 09:00 CET
    assert free_slots(tokyo, busy=[], now=monday)[0].starts_at == datetime(
        2026, 3, 9, 0, 0, tzinfo=UTC
    )  # 09:00 JST


def test_booked_meetings_and_their_buffer_are_excluded() -> None:
    settings = CalendarSettings(timezone="UTC", notice_minutes=0, buffer_minutes=15)
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    before = free_slots(settings, busy=[], now=monday, limit=4)
    # Slots step by 45 minutes: 30 of meeting and 15 of buffer.
    assert [s.starts_at.strftime("%H:%M") for s in before] == ["09:00", "09:45", "10:30", "11:15"]
    booked = Busy(datetime(2026, 3, 9, 9, 45, tzinfo=UTC), datetime(2026, 3, 9, 10, 15, tzinfo=UTC))
    after = free_slots(settings, busy=[booked], now=monday, limit=3)
    assert [s.starts_at.strftime("%H:%M") for s in after] == ["09:00", "10:30", "11:15"]
    # A meeting off the grid removes the slot it overlaps; the next one clears its buffer.
    odd = Busy(datetime(2026, 3, 9, 9, 10, tzinfo=UTC), datetime(2026, 3, 9, 9, 20, tzinfo=UTC))
    assert free_slots(settings, busy=[odd], now=monday, limit=1)[0].starts_at.minute == 45
    late = Busy(datetime(2026, 3, 9, 9, 10, tzinfo=UTC), datetime(2026, 3, 9, 9, 35, tzinfo=UTC))
    assert free_slots(settings, busy=[late], now=monday, limit=1)[0].starts_at.hour == 10


def test_notice_and_horizon_bound_the_offer() -> None:
    settings = CalendarSettings(timezone="UTC", notice_minutes=180, horizon_days=2)
    monday_10 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    slots = working_slots(settings, now=monday_10)
    assert slots[0].starts_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 3 hours' notice
    assert max(s.starts_at for s in slots) <= monday_10 + timedelta(days=2)
    assert {s.starts_at.date().day for s in slots} == {9, 10, 11}
    longer = CalendarSettings(timezone="UTC", notice_minutes=180, horizon_days=9)
    assert {s.starts_at.weekday() for s in working_slots(longer, now=monday_10)} == set(range(5))
    assert len(working_slots(longer, now=monday_10)) > len(slots)


def test_is_working_uses_the_reps_own_clock() -> None:
    settings = CalendarSettings(timezone=NY)
    assert is_working(settings, at=datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # Fri 10:00 EST
    assert not is_working(settings, at=datetime(2026, 3, 6, 23, 0, tzinfo=UTC))  # Fri 18:00
    assert not is_working(settings, at=datetime(2026, 3, 7, 15, 0, tzinfo=UTC))  # Saturday
    assert not is_working(settings, at=datetime(2026, 3, 6, 13, 59, tzinfo=UTC))  # 08:59
    assert is_working(settings, at=datetime(2026, 3, 6, 14, 0, tzinfo=UTC))  # 09:00 sharp
