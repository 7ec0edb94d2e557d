"""Bodies of the marketer's routes: sequences, funnels, A/B results, previews, dry-runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nurture.dry_run import MAX_DAYS, MAX_SAMPLE
from nurture.template_file import PART_MAX


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SequenceListItemOut(_Out):
    """A sequence in the marketer's list, with what it did."""

    key: str
    name: str
    active: bool
    latest_version: int
    versions: int
    steps: int
    enrolled: int
    active_enrollments: int
    converted: int
    conversion_rate: float
    sent_last_7_days: int
    updated_at: datetime


class VersionOut(_Out):
    """One stored version of a sequence."""

    version: int
    content_hash: str
    source: str
    created_by: str
    created_at: datetime


class StepOut(BaseModel):
    """A step as the page lists it: its kind, what it does, where it goes."""

    id: str
    kind: str
    summary: str
    template: str | None
    goes_to: list[str]


class SequenceOut(BaseModel):
    """A sequence: the latest version's definition and steps, and every version."""

    key: str
    name: str
    description: str
    goal: str
    exit_on: list[str]
    active: bool
    latest_version: int
    definition: dict[str, Any]
    steps: list[StepOut]
    versions: list[VersionOut]


class SequenceVersionOut(BaseModel):
    """One version's definition and steps."""

    key: str
    version: int
    latest_version: int
    definition: dict[str, Any]
    steps: list[StepOut]
    info: VersionOut


class SavedOut(BaseModel):
    """The outcome of a PUT: the version now in force and whether this request made it."""

    key: str
    version: int
    created: bool
    content_hash: str


class SequenceStateOut(BaseModel):
    """Whether a sequence enrolls new leads."""

    key: str
    active: bool


class StepFunnelOut(_Out):
    """One step's counts (distinct enrollments)."""

    step_id: str
    kind: str
    template: str | None
    goes_to: list[str]
    entered: int
    sent: int
    clicked: int
    converted: int
    exited: int
    completed: int
    waiting: int


class FunnelOut(_Out):
    """A sequence's funnel over one version, or every version when `version` is null."""

    key: str
    version: int | None
    enrolled: int
    active: int
    converted: int
    exited: int
    completed: int
    steps: list[StepFunnelOut]


class RateOut(_Out):
    """A count out of a total with its 95% Wilson interval."""

    count: int
    total: int
    rate: float
    low: float
    high: float


class ArmOut(_Out):
    """One variant of a split."""

    variant: str
    weight: float
    goto: str
    enrolled: int
    clicked: RateOut
    converted: RateOut


class VerdictOut(_Out):
    """Which variant wins, or why it is too early to say."""

    outcome: Literal["winner", "not_yet"]
    winner: str | None
    reason: str
    summary: str
    test: str
    p_value: float | None
    more_per_arm: int | None


class SplitOut(_Out):
    """An A/B split's arms, the tests and the verdict (on conversions)."""

    step_id: str
    version: int | None
    metric: str
    arms: list[ArmOut]
    click_p_value: float | None
    verdict: VerdictOut


class AbOut(BaseModel):
    """Every split of a sequence, and the rule the verdict follows."""

    key: str
    version: int | None
    rule: str
    splits: list[SplitOut]


class LeadMatchOut(_Out):
    """A lead found by email, to preview an email for."""

    id: int
    email: str | None
    name: str | None
    company: str | None


class PreviewOut(_Out):
    """A step's email as one lead would receive it."""

    key: str
    version: int
    step_id: str
    template: str
    lead_id: int
    to: str | None
    subject: str
    text: str
    html: str | None


class TemplateOut(_Out):
    """An email template of the library (Jinja2 sources)."""

    name: str
    subject: str
    text: str
    html: str | None
    version: int
    content_hash: str
    updated_at: datetime


class TemplateIn(_In):
    """A template's sources; the text and HTML must carry `{{ unsubscribe_url }}`."""

    subject: str = Field(min_length=1, max_length=PART_MAX)
    text: str = Field(min_length=1, max_length=PART_MAX)
    html: str | None = Field(default=None, max_length=PART_MAX)


class TemplateSavedOut(_Out):
    """The outcome of saving a template: its version now and whether this request changed it."""

    name: str
    version: int
    changed: bool
    content_hash: str


class DryRunIn(_In):
    """Simulate a sequence for `sample` random leads (or these `lead_ids`) over `days`."""

    sample: int = Field(default=50, ge=1, le=MAX_SAMPLE)
    lead_ids: list[int] | None = Field(default=None, min_length=1, max_length=MAX_SAMPLE)
    days: int = Field(default=30, ge=1, le=MAX_DAYS)
    version: int | None = Field(default=None, ge=1)
    seed: int | None = None


class PathEntryOut(_Out):
    """One thing that would happen to a lead."""

    at: datetime
    step_id: str | None
    kind: str
    detail: str | None
    variant: str | None


class LeadPathOut(_Out):
    """A sampled lead's way through the sequence."""

    lead_id: int
    email: str | None
    status: str
    exit_reason: str | None
    step_id: str | None
    emails: int
    entries: list[PathEntryOut]


class StepSimulationOut(_Out):
    """One step in the simulation: how many leads reach it, are sent its email, and when."""

    step_id: str
    kind: str
    template: str | None
    counts: dict[str, int]
    first_send_at: datetime | None
    median_send_day: float | None


class DryRunOut(_Out):
    """What the sequence would do to the sample (nothing was written)."""

    key: str
    version: int
    start: datetime
    days: int
    sampled: int
    emails: int
    emails_by_day: list[int]
    outcomes: dict[str, int]
    exit_reasons: dict[str, int]
    steps: list[StepSimulationOut]
    leads: list[LeadPathOut]
