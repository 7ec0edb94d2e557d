"""The routing rules a revenue-ops person edits in one YAML file, checked before any is used."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leads.config_problems import problems_of
from routing.errors import InvalidRules

MAX_FILE_BYTES = 256 * 1024
Band = Literal["hot", "warm", "cold"]
MatchField = Literal["territory", "language"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SegmentWhen(_Strict):
    """Which leads a segment holds: any listed value of each field (all fields must match)."""

    team_size: tuple[str, ...] = ()
    country: tuple[str, ...] = ()

    def matches(self, *, team_size: str | None, country: str | None) -> bool:
        """Return whether a lead with these facts is in the segment."""
        if self.team_size and team_size not in self.team_size:
            return False
        return not (self.country and (country or "").upper() not in self.country)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c.upper() for c in value)


class Segment(_Strict):
    """A group of leads with its own score threshold and nurture sequence."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    when: SegmentWhen | None = None
    # A lead at or above this calibrated probability goes to a rep; below, to nurture.
    assign_at: float = Field(ge=0, le=1)
    nurture: str = Field(min_length=1, max_length=100)


class HardRules(_Strict):
    """Rules that win over the score."""

    asked_for_human: Literal["hot", "off"] = "hot"
    existing_customer: Literal["account_owner", "off"] = "account_owner"
    # The sequence a lead who bought enters (unless their account has an owner, or they ask).
    customer_sequence: str = Field(default="customer-onboarding", min_length=1, max_length=100)
    # After a rep closes a lead (won, lost, nurture), new activity routes it to a rep again only
    # after this many days, unless the prospect asks for a person.
    cooldown_days: int = Field(default=14, ge=0, le=365)


class Disqualify(_Strict):
    """Leads no rep should spend time on."""

    competitor_domains: tuple[str, ...] = ()
    disposable_domains: tuple[str, ...] = ()
    email_patterns: tuple[str, ...] = ()

    @field_validator("competitor_domains", "disposable_domains")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.lower().lstrip("@") for d in value)

    @field_validator("email_patterns")
    @classmethod
    def _regex(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return value


class Matching(_Strict):
    """Which rep facts a lead should match: a lead's segment always must."""

    prefer: tuple[MatchField, ...] = ("territory", "language")


class SlaMinutes(_Strict):
    """How long a rep has to accept an offered lead, per band."""

    hot: int = Field(default=5, ge=1, le=7 * 24 * 60)
    warm: int = Field(default=30, ge=1, le=7 * 24 * 60)
    cold: int = Field(default=240, ge=1, le=7 * 24 * 60)

    def for_band(self, band: str) -> int:
        """Return the SLA of a band (an unknown band gets the cold one)."""
        return int(getattr(self, band, self.cold))


class RoutingRules(_Strict):
    """Everything routing decides with: segments, hard rules, territories, SLAs, matching."""

    version: Literal[1] = 1
    territories: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    segments: tuple[Segment, ...] = (
        Segment(name="default", assign_at=0.5, nurture="default-nurture"),
    )
    hard_rules: HardRules = HardRules()
    disqualify: Disqualify = Disqualify()
    matching: Matching = Matching()
    sla_minutes: SlaMinutes = SlaMinutes()

    @field_validator("territories")
    @classmethod
    def _countries(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        seen: dict[str, str] = {}
        for territory, countries in value.items():
            for country in countries:
                if country.upper() in seen:
                    raise ValueError(
                        f"{country.upper()} is in both {seen[country.upper()]} and {territory}"
                    )
                seen[country.upper()] = territory
        return {t: tuple(c.upper() for c in cs) for t, cs in value.items()}

    @model_validator(mode="after")
    def _segments(self) -> RoutingRules:
        if not self.segments:
            raise ValueError("segments needs at least one segment")
        names = [s.name for s in self.segments]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"segment names must differ; repeated: {', '.join(twice)}")
        if self.segments[-1].when is not None:
            raise ValueError(
                "the last segment must have no `when:` so that every lead falls in a segment"
            )
        return self

    def territory_of(self, country: str | None) -> str | None:
        """Return the territory a country belongs to, if the rules name one."""
        if not country:
            return None
        code = country.upper()
        return next((t for t, cs in self.territories.items() if code in cs), None)

    def segment_of(self, *, team_size: str | None, country: str | None) -> Segment:
        """Return the first segment a lead matches (the last one holds everyone else)."""
        for segment in self.segments:
            if segment.when is None or segment.when.matches(team_size=team_size, country=country):
                return segment
        return self.segments[-1]


def parse_rules(text: str, *, source: str = "routing rules") -> RoutingRules:
    """Return the rules of a YAML document; raise InvalidRules listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRules(f"{source} is not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidRules(f"{source} must be a mapping with `segments:`, `territories:`, …")
    try:
        return RoutingRules.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(exc, RoutingRules)
        raise InvalidRules(f"{source}: not loaded; " + "; ".join(problems)) from exc


def read_rules_text(path: Path) -> str:
    """Read a rules file's text, refusing what is not a small UTF-8 file."""
    if not path.is_file():
        raise InvalidRules(f"{path} is not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidRules(f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRules(f"{path} is not UTF-8 text") from exc


def rules_version(text: str) -> str:
    """Return a short content hash that names a rules file's version."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


DEFAULT_VERSION = "builtin"
