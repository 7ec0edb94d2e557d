"""The world of `clinch simulate routing`: reps, leads and how reps behave, seeded. Pure.

Reps are spread over time zones, each with a shift, a cap of open leads, the segments of the
rules they sell to and the territory of their zone; one rep per team also manages it. Leads arrive
over the week in their own country's business hours (fewer at night and at weekends), with a team
size, a calibrated score (Beta-distributed), and sometimes a request for a person, a second,
warmer score later, or a return as an unknown chat visitor who asks for a person and then gives
their email (so the two leads merge); a few are spam. How a rep answers an offer or closes a
lead is drawn from the seed and the assignment id, so the same seed gives the same run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from leads.calendar import DAY_NAMES, CalendarSettings, is_working
from routing.rules import RoutingRules

# Monday 23 March 2026, midnight UTC: Europe moves its clocks on the Sunday of this week.
START = datetime(2026, 3, 23, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# (time zone, the zone's country, the rep's languages), in the order reps are given them.
ZONES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("America/New_York", "US", ("en",)),
    ("Europe/Berlin", "DE", ("en", "de")),
    ("Asia/Singapore", "SG", ("en", "zh")),
    ("America/Los_Angeles", "US", ("en", "es")),
    ("Europe/London", "GB", ("en", "fr")),
    ("Asia/Kolkata", "IN", ("en", "hi")),
    ("America/Sao_Paulo", "BR", ("en", "pt", "es")),
    ("Australia/Sydney", "AU", ("en",)),
)
# (country, weight, its time zone, its language besides English, share who say so).
COUNTRIES: tuple[tuple[str, float, str, str | None, float], ...] = (
    ("US", 30, "America/Chicago", None, 0.0),
    ("CA", 4, "America/Toronto", "fr", 0.2),
    ("GB", 9, "Europe/London", None, 0.0),
    ("DE", 9, "Europe/Berlin", "de", 0.5),
    ("FR", 5, "Europe/Paris", "fr", 0.6),
    ("NL", 3, "Europe/Amsterdam", None, 0.0),
    ("ES", 2, "Europe/Madrid", "es", 0.6),
    ("IT", 2, "Europe/Rome", None, 0.0),
    ("PL", 1, "Europe/Warsaw", None, 0.0),
    ("IN", 8, "Asia/Kolkata", "hi", 0.1),
    ("SG", 3, "Asia/Singapore", None, 0.0),
    ("AU", 4, "Australia/Sydney", None, 0.0),
    ("JP", 2, "Asia/Tokyo", "ja", 0.7),
    ("BR", 5, "America/Sao_Paulo", "pt", 0.7),
    ("MX", 3, "America/Mexico_City", "es", 0.7),
    ("AR", 1, "America/Argentina/Buenos_Aires", "es", 0.7),
    ("ZA", 2, "Africa/Johannesburg", None, 0.0),
    ("AE", 1, "Asia/Dubai", None, 0.0),
)
# (team size, share, Beta `a` of its score: bigger teams score a little higher).
TEAM_SIZES: tuple[tuple[str, float, float], ...] = (
    ("1-10", 0.35, 1.1),
    ("11-50", 0.30, 1.4),
    ("51-200", 0.20, 1.7),
    ("201-1000", 0.10, 1.8),
    ("1000+", 0.05, 1.6),
)
SCORE_B = 9.0
ROLES = ("Engineer", "Engineering Manager", "CTO", "Technical Writer", "Product Manager")
SCORE_REASONS = (
    "visited pricing 3 times",
    "team of 50+ on the form",
    "read the SSO docs",
    "came from a paid search",
    "opened every nurture email",
)
LOST_REASONS = (
    "chose a competitor",
    "no budget this quarter",
    "went quiet after the demo",
    "needs on-prem hosting",
)
# Local-hour weights of arrivals (0h … 23h) and day weights (mon … sun).
HOUR_WEIGHTS = (
    *(0.08,) * 7,
    0.3,
    0.6,
    *(1.0,) * 3,
    0.8,
    *(1.0,) * 4,
    0.7,
    *(0.45,) * 3,
    *(0.2,) * 3,
)
DAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.35, 0.3)
SHIFT_STARTS = ("08:00", "08:30", "09:00", "09:30", "10:00")


@dataclass(frozen=True)
class WorldSpec:
    """How big the world is and its seed."""

    leads: int
    reps: int
    days: int
    seed: int
    start: datetime = START

    @property
    def end(self) -> datetime:
        """Return when the simulated time ends."""
        return self.start + timedelta(days=self.days)


@dataclass(frozen=True)
class PlannedRep:
    """A rep of the world, as the reps file will describe them."""

    index: int
    name: str
    email: str
    team: str
    territory: str | None
    languages: tuple[str, ...]
    timezone: str
    working_days: tuple[str, ...]
    work_start: str
    work_end: str
    capacity: int
    segments: tuple[str, ...]
    is_manager: bool

    @property
    def calendar(self) -> CalendarSettings:
        """Return the rep's working hours as calendar settings."""
        return CalendarSettings(
            timezone=self.timezone,
            working_days=self.working_days,
            work_start=_hhmm(self.work_start),
            work_end=_hhmm(self.work_end),
        )


@dataclass(frozen=True)
class PlannedLead:
    """A prospect who will fill in the form, and what they will do later."""

    number: int
    at: datetime
    email: str
    company: str | None
    country: str
    language: str | None
    team_size: str
    role: str
    probability: float
    reason: str
    asks_at_arrival: bool = False
    asks_later_at: datetime | None = None
    rescored_at: datetime | None = None
    rescore_probability: float = 0.0
    chats_at: datetime | None = None
    identifies_after: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class AvailabilityChange:
    """A rep going away (a break, a meeting) or coming back."""

    at: datetime
    rep_index: int
    available: bool


@dataclass(frozen=True)
class Closing:
    """How long after accepting a rep closes a lead, and how it ends."""

    after: timedelta
    outcome: str
    reason: str | None


def _hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def _rng(spec_seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (spec_seed, *parts)))


def plan_reps(spec: WorldSpec, rules: RoutingRules) -> list[PlannedRep]:
    """Return the world's reps: zones in turn, shifts, caps, segments, one manager per team."""
    names = [s.name for s in rules.segments]
    reps: list[PlannedRep] = []
    teams: set[str] = set()
    for i in range(spec.reps):
        rng = _rng(spec.seed, "rep", i)
        zone, country, languages = ZONES[i % len(ZONES)]
        territory = rules.territory_of(country)
        team = territory or "global"
        start = rng.choice(SHIFT_STARTS)
        hours = rng.choice((8, 8, 9))
        end = (datetime.combine(START.date(), _hhmm(start)) + timedelta(hours=hours)).time()
        segments = (
            names if i % 4 == 3 else sorted({names[i % len(names)], names[(i + 1) % len(names)]})
        )
        reps.append(
            PlannedRep(
                index=i,
                name=f"Rep {i + 1} ({zone.rsplit('/', 1)[-1].replace('_', ' ')})",
                email=f"rep{i + 1}@sim.example",
                team=team,
                territory=territory,
                languages=languages,
                timezone=zone,
                working_days=("tue", "wed", "thu", "fri", "sat") if i % 5 == 4 else WEEKDAYS,
                work_start=start,
                work_end=f"{end:%H:%M}",
                capacity=rng.randint(8, 25),
                segments=tuple(segments),
                is_manager=team not in teams,
            )
        )
        teams.add(team)
    return reps


def reps_file(reps: list[PlannedRep]) -> str:
    """Return the reps as a reps-file YAML document (`clinch reps load` reads the same)."""
    items = [
        {
            "name": r.name,
            "email": r.email,
            "team": r.team,
            "territory": r.territory,
            "languages": list(r.languages),
            "timezone": r.timezone,
            "working_days": list(r.working_days),
            "working_hours": f"{r.work_start}-{r.work_end}",
            "capacity": r.capacity,
            "segments": list(r.segments),
            "is_manager": r.is_manager,
        }
        for r in reps
    ]
    return yaml.safe_dump({"reps": items}, sort_keys=False)


def _arrival(rng: random.Random, spec: WorldSpec, zone: ZoneInfo) -> datetime:
    span = spec.days * 86400
    while True:
        at = spec.start + timedelta(seconds=rng.uniform(0, span))
        local = at.astimezone(zone)
        if rng.random() < HOUR_WEIGHTS[local.hour] * DAY_WEIGHTS[local.weekday()]:
            return at


def _email(rng: random.Random, spec: WorldSpec, n: int, rules: RoutingRules) -> str:
    roll = rng.random()
    listed = rules.disqualify
    if roll < 0.007:
        return f"test{n}@spam{n}.example"
    if roll < 0.014 and listed.disposable_domains:
        return f"p{n}@{rng.choice(listed.disposable_domains)}"
    if roll < 0.02 and listed.competitor_domains:
        return f"p{n}@{rng.choice(listed.competitor_domains)}"
    if roll < 0.14:
        return f"p{n}@gmail.com"
    # About one lead in three shares a company (an account) with another lead.
    return f"p{n}@co{rng.randrange(max(1, int(spec.leads * 0.7)))}.example"


def _company(spec: WorldSpec, email: str) -> tuple[str | None, str | None, str | None]:
    """Return a company's name, country and team size (fixed per company domain)."""
    domain = email.rsplit("@", 1)[1]
    if not domain.startswith("co"):
        return None, None, None
    rng = _rng(spec.seed, "company", domain)
    country = rng.choices(COUNTRIES, weights=[c[1] for c in COUNTRIES])[0][0]
    size = rng.choices(TEAM_SIZES, weights=[t[1] for t in TEAM_SIZES])[0][0]
    return f"Company {domain.split('.')[0][2:]}", country, size


def _lead(spec: WorldSpec, rules: RoutingRules, n: int) -> PlannedLead:
    rng = _rng(spec.seed, "lead", n)
    email = _email(rng, spec, n, rules)
    company, country, size = _company(spec, email)
    row = rng.choices(COUNTRIES, weights=[c[1] for c in COUNTRIES])[0]
    if country is not None:
        row = next(c for c in COUNTRIES if c[0] == country)
    size = size or rng.choices(TEAM_SIZES, weights=[t[1] for t in TEAM_SIZES])[0][0]
    a = next(t[2] for t in TEAM_SIZES if t[0] == size)
    at = _arrival(rng, spec, ZoneInfo(row[2]))
    language = row[3] if row[3] and rng.random() < row[4] else rng.choice(("en", None))
    probability = round(rng.betavariate(a, SCORE_B), 4)
    return PlannedLead(
        number=n,
        at=at,
        email=email,
        company=company,
        country=row[0],
        language=language,
        team_size=size,
        role=rng.choice(ROLES),
        probability=probability,
        reason=rng.choice(SCORE_REASONS),
        **_afterwards(rng, spec, at=at, probability=probability),
    )


def _afterwards(
    rng: random.Random, spec: WorldSpec, *, at: datetime, probability: float
) -> dict[str, Any]:
    """Return what a lead does after the form: ask for a person, come back warmer, or chat."""
    roll = rng.random()
    later = at + timedelta(hours=rng.uniform(0.5, 96))
    if later >= spec.end or roll >= 0.11:
        return {"asks_at_arrival": roll < 0.02}
    if roll < 0.02:
        return {"asks_at_arrival": True}
    if roll < 0.04:
        return {"asks_later_at": later}
    if roll < 0.09:
        warmer = round(min(0.97, probability + rng.uniform(0.05, 0.35)), 4)
        return {"rescored_at": later, "rescore_probability": warmer}
    # Back as an unknown visitor in the chat, asking for a person, then giving the email.
    return {"chats_at": later, "identifies_after": timedelta(minutes=rng.uniform(2, 30))}


def plan_leads(spec: WorldSpec, rules: RoutingRules) -> list[PlannedLead]:
    """Return the week's leads in the order they arrive."""
    return sorted((_lead(spec, rules, n) for n in range(spec.leads)), key=lambda p: p.at)


def plan_availability(spec: WorldSpec, reps: list[PlannedRep]) -> list[AvailabilityChange]:
    """Return each rep's breaks: one to three a working day, ten to seventy-five minutes each."""
    changes: list[AvailabilityChange] = []
    for rep in reps:
        zone = ZoneInfo(rep.timezone)
        first = spec.start.astimezone(zone).date() - timedelta(days=1)
        for offset in range(spec.days + 2):
            day = first + timedelta(days=offset)
            if DAY_NAMES[day.weekday()] not in rep.working_days:
                continue
            rng = _rng(spec.seed, "breaks", rep.index, day.isoformat())
            begin = datetime.combine(day, _hhmm(rep.work_start), tzinfo=zone).astimezone(UTC)
            finish = datetime.combine(day, _hhmm(rep.work_end), tzinfo=zone).astimezone(UTC)
            count = rng.randint(1, 3)
            part = (finish - begin) / count
            for k in range(count):
                away = begin + part * k + part * rng.uniform(0.1, 0.6)
                back = away + timedelta(minutes=rng.uniform(10, 75))
                if spec.start <= away and back < spec.end:
                    changes.append(AvailabilityChange(away, rep.index, False))
                    changes.append(AvailabilityChange(back, rep.index, True))
    return sorted(changes, key=lambda c: (c.at, c.rep_index))


def accept_delay(seed: int, *, assignment_id: int, sla_minutes: int) -> timedelta | None:
    """Return how long a rep takes to accept an offer: mostly in time, some late, a few never."""
    rng = _rng(seed, "accept", assignment_id)
    roll = rng.random()
    if roll < 0.07:
        return None
    if roll < 0.22:
        return timedelta(minutes=sla_minutes * rng.uniform(1.05, 2.5))
    return timedelta(minutes=sla_minutes * 0.95 * rng.betavariate(1.5, 3.0))


def closing(seed: int, *, assignment_id: int) -> Closing:
    """Return when (after accepting) and how a rep closes a lead: won, lost or nurture."""
    rng = _rng(seed, "close", assignment_id)
    roll = rng.random()
    hours = (
        rng.uniform(1, 6)
        if roll < 0.55
        else rng.uniform(6, 30)
        if roll < 0.9
        else rng.uniform(48, 96)
    )
    outcome = rng.choices(("won", "lost", "nurture"), weights=(0.2, 0.5, 0.3))[0]
    reason = rng.choice(LOST_REASONS) if outcome == "lost" else None
    return Closing(timedelta(hours=hours), outcome, reason)


def next_working(calendar: CalendarSettings, *, at: datetime, seed: int, key: object) -> datetime:
    """Return `at` if the rep works then, else a moment early in their next shift."""
    if is_working(calendar, at=at):
        return at
    probe = at.replace(second=0, microsecond=0) + timedelta(minutes=30 - at.minute % 30)
    for _ in range(8 * 48):
        if is_working(calendar, at=probe):
            minutes = _rng(seed, "shift", key).uniform(0, 90)
            return probe + timedelta(minutes=minutes)
        probe += timedelta(minutes=30)
    return at
