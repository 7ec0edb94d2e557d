"""A nurture sequence as a marketer writes it (YAML or JSON), and the checked steps it becomes.

```yaml
key: smb-nurture
name: Small teams
goal: purchase                # the event that counts as converting
exit_on: [purchased, replied, became_hot]   # unsubscribe and consent withdrawal always exit
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - id: read-pricing
    branch:
      cases:
        - {when: {event: pricing_view, within: 14d}, goto: offer}
        - {when: {band: [warm]}, goto: offer}
      otherwise: tuesday
  - {id: tuesday, wait: {until: {weekday: tue, time: "10:00"}}}
  - id: subject-test
    split:
      - {name: A, weight: 1, goto: offer}
      - {name: B, weight: 1, goto: offer-short}
  - {id: offer, email: offer, next: done}
  - {id: offer-short, email: offer-short}
  - {id: done, exit: completed}
```
A step without `next` goes on to the step below it; the last one ends the enrollment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leads.event_rules import EVENT_TYPES
from leads.identity import LEAD_TRAITS
from nurture.durations import format_duration, parse_duration

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Band = Literal["hot", "warm", "cold"]
ExitCondition = Literal["purchased", "replied", "unsubscribed", "consent_withdrawn", "became_hot"]
# Unsubscribing and withdrawing consent end every enrollment whatever the file says.
ALWAYS_EXIT: frozenset[str] = frozenset({"unsubscribed", "consent_withdrawn"})
DEFAULT_EXITS: tuple[ExitCondition, ...] = ("purchased", "replied", "became_hot")
FIELDS = (*LEAD_TRAITS, "status", "email_domain")
MAX_STEPS = 200
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Slug = Annotated[str, Field(min_length=1, max_length=100, pattern=SLUG)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _duration(value: str) -> str:
    parse_duration(value)  # raises ValueError with the format
    return value


class UntilIn(_Strict):
    """Wait until the next `weekday` (any day when absent) at `time`, in the lead's time zone."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    time: str = "09:00"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (24-hour), e.g. 09:30")
        return value


class WaitIn(_Strict):
    """A pause: a duration, or until a weekday and time in the lead's time zone."""

    duration: str | None = None
    until: UntilIn | None = None

    @field_validator("duration")
    @classmethod
    def _check_duration(cls, value: str | None) -> str | None:
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _one(self) -> WaitIn:
        if (self.duration is None) == (self.until is None):
            raise ValueError("a wait needs exactly one of `duration` (e.g. 2d) or `until`")
        return self


class ConditionIn(_Strict):
    """One test of a branch: an event seen, a score band, or a lead field."""

    event: str | None = None
    within: str | None = None
    band: tuple[Band, ...] | None = None
    field: str | None = None
    equals: str | None = None
    one_of: tuple[str, ...] | None = Field(default=None, alias="in")
    exists: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("event")
    @classmethod
    def _event(cls, value: str | None) -> str | None:
        if value is not None and value not in EVENT_TYPES:
            raise ValueError(f"{value!r} is not an event type; use one of {_listed(EVENT_TYPES)}")
        return value

    @field_validator("field")
    @classmethod
    def _field(cls, value: str | None) -> str | None:
        if value is not None and value not in FIELDS:
            raise ValueError(f"{value!r} is not a lead field; use one of {', '.join(FIELDS)}")
        return value

    @field_validator("within")
    @classmethod
    def _within(cls, value: str | None) -> str | None:
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _one(self) -> ConditionIn:
        kinds = [k for k in ("event", "band", "field") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a condition tests exactly one of `event`, `band` or `field`")
        if self.within is not None and self.event is None:
            raise ValueError("`within` goes with `event`")
        tests = [t for t in (self.equals, self.one_of, self.exists) if t is not None]
        if self.field is not None and len(tests) != 1:
            raise ValueError("a field condition needs exactly one of `equals`, `in` or `exists`")
        if self.field is None and tests:
            raise ValueError("`equals`, `in` and `exists` go with `field`")
        return self


class CaseIn(_Strict):
    """Go to `goto` when the condition holds (cases are tried in order)."""

    when: ConditionIn
    goto: Slug


class BranchIn(_Strict):
    """Cases tried in order, and where to go when none holds."""

    cases: tuple[CaseIn, ...] = Field(min_length=1, max_length=20)
    otherwise: Slug


class VariantIn(_Strict):
    """One arm of an A/B split: its name, its share (a relative weight) and where it goes."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    weight: float = Field(default=1.0, gt=0, le=1000)
    goto: Slug


class StepIn(_Strict):
    """One step: exactly one of `email`, `wait`, `branch`, `split`, `goal` or `exit`."""

    id: Slug
    email: Slug | None = None
    wait: WaitIn | None = None
    branch: BranchIn | None = None
    split: tuple[VariantIn, ...] | None = Field(default=None, min_length=2, max_length=6)
    goal: str | None = Field(default=None, min_length=1, max_length=100)
    exit: str | None = Field(default=None, min_length=1, max_length=40)
    next: Slug | None = None
    note: str | None = Field(default=None, max_length=500)

    @field_validator("wait", mode="before")
    @classmethod
    def _short_wait(cls, value: Any) -> Any:
        return {"duration": value} if isinstance(value, str) else value

    @field_validator("split")
    @classmethod
    def _names(cls, value: tuple[VariantIn, ...] | None) -> tuple[VariantIn, ...] | None:
        names = [v.name for v in value or ()]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names repeat: {', '.join(names)}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> StepIn:
        kinds = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = f"has {', '.join(kinds)}" if kinds else "has none"
            raise ValueError(f"a step is exactly one of {', '.join(STEP_KINDS)}; this one {found}")
        if self.next is not None and kinds[0] in ("branch", "split", "goal", "exit"):
            raise ValueError(f"a {kinds[0]} step ends or chooses its own way on: drop `next`")
        return self


STEP_KINDS = ("email", "wait", "branch", "split", "goal", "exit")


class SequenceIn(_Strict):
    """A whole sequence file."""

    key: Slug
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    goal: str = "purchase"
    exit_on: tuple[ExitCondition, ...] = DEFAULT_EXITS
    steps: tuple[StepIn, ...] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"{value!r} is not an event type; use one of {_listed(EVENT_TYPES)}")
        return value


def _listed(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


# The checked steps the engine runs.


@dataclass(frozen=True)
class EmailStep:
    """Send a template's email, then go on."""

    id: str
    template: str
    next: str | None


@dataclass(frozen=True)
class WaitStep:
    """Pause for a duration, or until the next weekday/time in the lead's zone."""

    id: str
    duration: timedelta | None
    weekday: int | None  # 0 = Monday; None with `at` set = the next day at that time
    at: time | None
    next: str | None


@dataclass(frozen=True)
class Condition:
    """A branch's test."""

    event: str | None = None
    within: timedelta | None = None
    bands: tuple[str, ...] | None = None
    field: str | None = None
    equals: str | None = None
    one_of: tuple[str, ...] | None = None
    exists: bool | None = None


@dataclass(frozen=True)
class BranchStep:
    """Go to the first case whose condition holds, else `otherwise`."""

    id: str
    cases: tuple[tuple[Condition, str], ...]
    otherwise: str


@dataclass(frozen=True)
class Variant:
    """An arm of a split."""

    name: str
    weight: float
    goto: str


@dataclass(frozen=True)
class SplitStep:
    """Draw a variant by weight, once per enrollment, and go where it says."""

    id: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class GoalStep:
    """The enrollment reached its goal: it ends as converted."""

    id: str
    label: str


@dataclass(frozen=True)
class ExitStep:
    """The enrollment ends here."""

    id: str
    reason: str


Step = EmailStep | WaitStep | BranchStep | SplitStep | GoalStep | ExitStep


@dataclass(frozen=True)
class Sequence:
    """A checked sequence: its steps in file order, each with where it goes next."""

    key: str
    name: str
    description: str
    goal: str
    exit_on: frozenset[str]
    steps: tuple[Step, ...]

    @property
    def first(self) -> str:
        """Return the id of the step every enrollment starts at."""
        return self.steps[0].id

    def step(self, step_id: str) -> Step:
        """Return the step with this id; KeyError if there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def templates(self) -> frozenset[str]:
        """Return the names of the templates the sequence's emails use."""
        return frozenset(s.template for s in self.steps if isinstance(s, EmailStep))


def build_sequence(spec: SequenceIn) -> Sequence:
    """Return the steps of a parsed file, each step's `next` filled in (None: the end)."""
    ids = [s.id for s in spec.steps]
    following = {sid: (ids[i + 1] if i + 1 < len(ids) else None) for i, sid in enumerate(ids)}
    steps = tuple(_build_step(s, following[s.id]) for s in spec.steps)
    return Sequence(
        key=spec.key,
        name=spec.name,
        description=spec.description,
        goal=spec.goal,
        exit_on=frozenset(spec.exit_on) | ALWAYS_EXIT,
        steps=steps,
    )


def _build_step(spec: StepIn, following: str | None) -> Step:
    after = spec.next or following
    if spec.email is not None:
        return EmailStep(id=spec.id, template=spec.email, next=after)
    if spec.wait is not None:
        return _wait(spec.id, spec.wait, after)
    if spec.branch is not None:
        cases = tuple((_condition(c.when), c.goto) for c in spec.branch.cases)
        return BranchStep(id=spec.id, cases=cases, otherwise=spec.branch.otherwise)
    if spec.split is not None:
        variants = tuple(Variant(name=v.name, weight=v.weight, goto=v.goto) for v in spec.split)
        return SplitStep(id=spec.id, variants=variants)
    if spec.goal is not None:
        return GoalStep(id=spec.id, label=spec.goal)
    return ExitStep(id=spec.id, reason=spec.exit or "completed")


def _wait(step_id: str, spec: WaitIn, after: str | None) -> WaitStep:
    if spec.duration is not None:
        duration = parse_duration(spec.duration)
        return WaitStep(id=step_id, duration=duration, weekday=None, at=None, next=after)
    assert spec.until is not None  # the model validator checked one is set
    weekday = WEEKDAYS.index(spec.until.weekday) if spec.until.weekday else None
    at = time.fromisoformat(spec.until.time)
    return WaitStep(id=step_id, duration=None, weekday=weekday, at=at, next=after)


def _condition(spec: ConditionIn) -> Condition:
    return Condition(
        event=spec.event,
        within=parse_duration(spec.within) if spec.within else None,
        bands=spec.band,
        field=spec.field,
        equals=spec.equals,
        one_of=spec.one_of,
        exists=spec.exists,
    )


def describe_wait(step: WaitStep) -> str:
    """Return a wait as a person reads it: "2d", "until tue 10:00"."""
    if step.duration is not None:
        return format_duration(step.duration)
    day = WEEKDAYS[step.weekday] if step.weekday is not None else "the next day"
    return f"until {day} {step.at:%H:%M}" if step.at else f"until {day}"


def definition_json(spec: SequenceIn) -> dict[str, Any]:
    """Return the file's content as stored in a version (aliases kept, defaults dropped)."""
    return spec.model_dump(mode="json", by_alias=True, exclude_none=True)
