"""Request and response bodies of event intake and the lead view."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

MAX_BATCH = 500


class EventItem(BaseModel):
    """One event. Checked on its own: a bad event is rejected alone, not the whole batch."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(description="The client's unique id: sending it again is a no-op")
    type: str = Field(description="page_view, pricing_view, form_submit, purchase, …")
    occurred_at: datetime = Field(description="When it happened, ISO 8601 with a time zone")
    email: str | None = None
    anonymous_id: str | None = None
    lead_id: int | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    amount: Decimal | None = Field(default=None, description="purchase: the amount paid")
    currency: str | None = Field(default=None, description="purchase: ISO 4217 code")
    plan: str | None = None
    period: str | None = Field(default=None, description="purchase: month, year, …")


# Items are validated one by one in the route, so one malformed event cannot 422 the batch;
# the schema still documents what an item looks like.
_ITEMS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_BATCH,
    "items": EventItem.model_json_schema(mode="validation"),
}


class EventBatch(BaseModel):
    """A batch of 1 to 500 events."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[
        list[dict[str, Any]],
        Field(min_length=1, max_length=MAX_BATCH),
        WithJsonSchema(_ITEMS_SCHEMA),
    ]


class EventResult(BaseModel):
    """What happened to one event, in batch order."""

    event_id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    lead_id: int | None = Field(default=None, exclude_if=lambda v: v is None)
    reason: str | None = Field(default=None, exclude_if=lambda v: v is None)


class EventBatchResponse(BaseModel):
    """Per-event results and their counts."""

    results: list[EventResult]
    accepted: int
    duplicates: int
    rejected: int


class IdentityOut(BaseModel):
    """One way the lead is recognised."""

    kind: str
    value: str


class TouchOut(BaseModel):
    """A touchpoint."""

    source: str | None
    medium: str | None
    campaign: str | None
    referrer: str | None
    channel: str
    at: datetime


class ScoreOut(BaseModel):
    """The latest score."""

    probability: float
    summary: str
    band: str
    model_version: str
    features_version: str
    reasons: list[dict[str, Any]]
    scored_at: datetime


class EventOut(BaseModel):
    """A stored event."""

    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    channel: str
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    referrer: str | None
    properties: dict[str, Any]
    amount: Decimal | None
    currency: str | None
    plan: str | None
    period: str | None


class ScoredLeadOut(BaseModel):
    """One lead of the list: who, the newest score in words, its band and top reasons."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    probability: float
    summary: str
    band: str
    model_version: str
    reasons: list[str]
    scored_at: datetime
    last_seen_at: datetime | None


class AccountOut(BaseModel):
    """The lead's company account (linked by email domain)."""

    id: int
    domain: str
    name: str | None
    employees_band: str | None
    owner_rep_id: int | None
    leads: int


class LeadOut(BaseModel):
    """A lead with its identities, touches, consents, latest score and last 50 events."""

    id: int
    email: str | None
    name: str | None
    company: str | None
    role: str | None
    team_size: str | None
    timeline: str | None
    budget: str | None
    use_case: str | None
    account_id: int | None
    account: AccountOut | None
    status: str
    created_at: datetime
    last_seen_at: datetime | None
    merged_into_id: int | None
    identities: list[IdentityOut]
    first_touch: TouchOut | None
    last_touch: TouchOut | None
    consents: dict[str, bool]
    score: ScoreOut | None
    events: list[EventOut]
