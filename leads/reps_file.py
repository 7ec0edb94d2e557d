"""Load reps from a YAML file: every rep is checked before any is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leads.calendar import DAY_NAMES, parse_hhmm
from leads.errors import ClinchError
from leads.models import EMAIL_MAX, NAME_MAX

MAX_FILE_BYTES = 1024 * 1024


class InvalidRepsFile(ClinchError):
    """A reps file that cannot be loaded; the message lists every problem found."""


class RepIn(BaseModel):
    """One rep as a reps file describes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=NAME_MAX)
    email: str = Field(min_length=3, max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    team: str | None = Field(default=None, max_length=100)
    territory: str | None = Field(default=None, max_length=100)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    timezone: str = "UTC"
    working_days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    working_hours: str = "09:00-17:00"
    meeting_minutes: int = Field(default=30, ge=10, le=240)
    buffer_minutes: int = Field(default=0, ge=0, le=120)
    notice_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    horizon_days: int = Field(default=14, ge=1, le=90)
    capacity: int = Field(default=50, ge=0, le=10_000)
    active: bool = True
    # The segments the rep sells to (routing rules name them); empty: the rep's team.
    segments: list[str] = Field(default_factory=list)
    # A manager sees their team's leads and is alerted when every rep lets a lead's SLA lapse.
    is_manager: bool = False

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from exc
        return value

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        unknown = [d for d in days if d not in DAY_NAMES]
        if unknown or not days:
            raise ValueError(f"working days are day names ({', '.join(DAY_NAMES)}), at least one")
        return [d for d in DAY_NAMES if d in days]

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        start, sep, end = value.replace(" ", "").partition("-")
        try:
            if not sep or parse_hhmm(start) >= parse_hhmm(end):
                raise ValueError
        except ValueError as exc:
            raise ValueError(f"{value!r} is not HH:MM-HH:MM with the start first") from exc
        return f"{start}-{end}"

    @model_validator(mode="after")
    def _fits(self) -> RepIn:
        start, _, end = self.working_hours.partition("-")
        day = parse_hhmm(end).hour * 60 + parse_hhmm(end).minute
        day -= parse_hhmm(start).hour * 60 + parse_hhmm(start).minute
        if self.meeting_minutes > day:
            raise ValueError("a meeting is longer than the working day")
        return self

    def columns(self) -> dict[str, Any]:
        """Return the rep's values as the reps table stores them."""
        start, _, end = self.working_hours.partition("-")
        values = self.model_dump(exclude={"working_hours"})
        values["segments"] = self.segments or ([self.team] if self.team else [])
        return {**values, "email": self.email.lower(), "work_start": start, "work_end": end}


def _problems(index: int, exc: ValidationError) -> list[str]:
    return [
        f"reps[{index}].{'.'.join(str(p) for p in e['loc']) or '(rep)'}: {e['msg']}"
        for e in exc.errors()
    ]


def parse_reps(text: str, *, source: str = "reps file") -> list[dict[str, Any]]:
    """Return a YAML document's reps as table values; raise InvalidRepsFile listing problems."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRepsFile(f"{source} is not YAML: {exc}") from exc
    items = data.get("reps") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidRepsFile(f"{source} needs a top-level `reps:` list with at least one rep")
    reps: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"reps[{index}]: a rep is a mapping of fields (name, email, …)")
            continue
        try:
            reps.append(RepIn.model_validate(item).columns())
        except ValidationError as exc:
            problems.extend(_problems(index, exc))
    seen: set[str] = set()
    for rep in reps:
        if rep["email"] in seen:
            problems.append(f"{rep['email']} appears more than once")
        seen.add(rep["email"])
    if problems:
        raise InvalidRepsFile(f"{source}: nothing loaded; " + "; ".join(problems))
    return reps


def read_reps_file(path: Path) -> list[dict[str, Any]]:
    """Read and check a reps YAML file."""
    if not path.is_file():
        raise InvalidRepsFile(f"{path} is not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidRepsFile(f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRepsFile(f"{path} is not UTF-8 text") from exc
    return parse_reps(text, source=str(path))
