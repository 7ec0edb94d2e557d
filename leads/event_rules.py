"""An incoming event and the rules it must pass before anything is stored."""

from __future__ import annotations

import functools
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from leads.errors import InvalidEvent
from leads.identity import LEAD_TRAITS, normalise_email
from leads.models import (
    CURRENCY_MAX,
    EMAIL_MAX,
    EVENT_ID_MAX,
    IDENTITY_MAX,
    PERIOD_MAX,
    PLAN_MAX,
    PURPOSE_MAX,
    REFERRER_MAX,
    UTM_MAX,
    as_utc,
)

EVENT_TYPES: Final = frozenset(
    {
        "page_view",
        "pricing_view",
        "docs_view",
        "form_submit",
        "chat_message",
        "trial_started",
        "email_opened",
        "email_clicked",
        "email_replied",
        "meeting_booked",
        # A prospect asked for a person in the chat: the router (issue 5) picks these up.
        "handoff_requested",
        "checkout_started",
        "purchase",
        "unsubscribe",
        "consent_given",
        "consent_withdrawn",
        "identify",
    }
)
CONSENT_TYPES: Final = frozenset({"consent_given", "consent_withdrawn", "unsubscribe"})
TRAIT_TYPES: Final = frozenset({"identify", "form_submit"})
DEFAULT_PURPOSE: Final = "marketing"
MAX_PROPERTIES_BYTES: Final = 16 * 1024
MAX_FUTURE: Final = timedelta(minutes=5)
MAX_AGE: Final = timedelta(days=5 * 365)
# Numeric(18, 4): at most 14 digits before the point.
MAX_AMOUNT: Final = Decimal(10) ** 14
# The lengths of the Lead columns a form or identify call may fill.
TRAIT_LIMITS: Final = {
    "name": 200,
    "company": 200,
    "role": 200,
    "team_size": 50,
    "timeline": 100,
    "budget": 100,
    "use_case": 10_000,
    "country": 64,
    "language": 16,
    "timezone": 64,
}


@dataclass(frozen=True)
class EventIn:
    """An event as a site, app or another package sends it."""

    event_id: str
    type: str
    occurred_at: datetime
    email: str | None = None
    anonymous_id: str | None = None
    lead_id: int | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    amount: Decimal | None = None
    currency: str | None = None
    plan: str | None = None
    period: str | None = None


def _check_text(name: str, value: str | None, limit: int) -> None:
    if value is None:
        return
    if len(value) > limit:
        raise InvalidEvent("field_too_long", f"{name} is longer than {limit} characters")
    # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
    if "\x00" in value:
        raise InvalidEvent("invalid_field", f"{name} contains a NUL character")


def _check_timestamp(occurred_at: datetime, received_at: datetime) -> None:
    at = as_utc(occurred_at)
    if at > received_at + MAX_FUTURE:
        raise InvalidEvent(
            "bad_timestamp", f"occurred_at {at.isoformat()} is more than 5 minutes in the future"
        )
    if at < received_at - MAX_AGE:
        raise InvalidEvent(
            "bad_timestamp", f"occurred_at {at.isoformat()} is more than 5 years in the past"
        )


def _check_identity(event: EventIn) -> None:
    if not (event.email or event.anonymous_id or event.lead_id is not None):
        raise InvalidEvent(
            "missing_identity", "an event needs an email, an anonymous_id or a lead_id"
        )
    if event.email is not None:
        _check_text("email", event.email, EMAIL_MAX)
        local, _, domain = normalise_email(event.email).partition("@")
        if not local or "." not in domain or " " in event.email.strip():
            raise InvalidEvent("invalid_email", f"{event.email[:80]!r} is not an email address")
    _check_text("anonymous_id", event.anonymous_id, IDENTITY_MAX)


def _check_properties(properties: Mapping[str, Any]) -> None:
    try:
        encoded = json.dumps(dict(properties), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEvent("invalid_properties", f"properties are not JSON: {exc}") from exc
    size = len(encoded.encode())
    if size > MAX_PROPERTIES_BYTES:
        raise InvalidEvent(
            "oversize_properties",
            f"properties take {size} bytes as JSON; the limit is {MAX_PROPERTIES_BYTES}",
        )


def _check_purchase(event: EventIn) -> None:
    if event.amount is None or not event.currency:
        raise InvalidEvent("purchase_incomplete", "a purchase needs an amount and a currency")
    if not event.amount.is_finite() or event.amount < 0 or event.amount >= MAX_AMOUNT:
        raise InvalidEvent("invalid_amount", f"amount {event.amount} is not a price")


def _check_currency(currency: str | None) -> None:
    if currency is not None and not (len(currency) == CURRENCY_MAX and currency.isalpha()):
        raise InvalidEvent("invalid_currency", f"{currency[:20]!r} is not an ISO 4217 code")


def _check_kind_specific(event: EventIn) -> None:
    if event.type == "purchase":
        _check_purchase(event)
    if event.type in ("consent_given", "consent_withdrawn"):
        purpose = event.properties.get("purpose", DEFAULT_PURPOSE)
        if not isinstance(purpose, str) or not 0 < len(purpose) <= PURPOSE_MAX:
            raise InvalidEvent(
                "invalid_purpose", f"properties.purpose must be 1 to {PURPOSE_MAX} characters"
            )
    if event.type in TRAIT_TYPES:
        for trait in LEAD_TRAITS:
            value = event.properties.get(trait)
            if isinstance(value, str):
                _check_text(trait, value, TRAIT_LIMITS[trait])
        zone = event.properties.get("timezone")
        if isinstance(zone, str) and zone not in _known_zones():
            raise InvalidEvent(
                "invalid_timezone", f"{zone[:64]!r} is not an IANA time zone such as Europe/Berlin"
            )


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_event_id(event: EventIn) -> None:
    """Raise InvalidEvent unless the event id can be stored."""
    if not event.event_id or not event.event_id.strip():
        raise InvalidEvent("missing_event_id", "an event needs a non-empty event_id")
    _check_text("event_id", event.event_id, EVENT_ID_MAX)


def check_event(event: EventIn, *, received_at: datetime) -> None:
    """Raise InvalidEvent naming the first rule the event breaks."""
    check_event_id(event)
    if event.type not in EVENT_TYPES:
        raise InvalidEvent(
            "unknown_type",
            f"{event.type[:40]!r} is not an event type; "
            f"use one of {', '.join(sorted(EVENT_TYPES))}",
        )
    _check_timestamp(event.occurred_at, received_at)
    _check_identity(event)
    for name, value, limit in (
        ("utm_source", event.utm_source, UTM_MAX),
        ("utm_medium", event.utm_medium, UTM_MAX),
        ("utm_campaign", event.utm_campaign, UTM_MAX),
        ("referrer", event.referrer, REFERRER_MAX),
        ("plan", event.plan, PLAN_MAX),
        ("period", event.period, PERIOD_MAX),
    ):
        _check_text(name, value, limit)
    _check_currency(event.currency)
    _check_properties(event.properties)
    _check_kind_specific(event)
