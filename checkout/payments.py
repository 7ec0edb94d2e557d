"""A payment provider's webhook, Stripe-compatible: its signature, and the paid checkout it reports.

`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, b"<t>." + raw body)>`. A header
may carry several `v1` entries (the provider signs with the old and the new secret while one is
rotated); one matching is enough. Signing the time with the body lets us refuse a replay of an old
delivery; a replay within the tolerance is caught later, by the purchase's event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from checkout.catalog import BillingPeriod
from checkout.errors import PaymentEventInvalid, PaymentSignatureInvalid
from checkout.links import PERIODS

SIGNATURE_HEADER = "Stripe-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
COMPLETED = "checkout.session.completed"
# Paid later (a bank debit): the completed event said "unpaid", this one says it arrived.
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
PAID_TYPES = frozenset({COMPLETED, ASYNC_SUCCEEDED})
PAID_STATUSES = frozenset({"paid", "no_payment_required"})
MAX_QUANTITY = 100_000
MAX_ID = 90
# Currencies without minor units, and with three (as the provider counts them); the rest have 2.
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV"}
    | {"XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


@dataclass(frozen=True)
class PaymentEvent:
    """A paid checkout as the provider reported it; `amount` is `amount_minor` in major units."""

    event_id: str
    event_type: str
    session_id: str
    occurred_at: datetime
    amount_minor: int
    amount: Decimal
    currency: str
    customer_email: str | None
    lead_id: int | None
    plan_id: str
    period: BillingPeriod
    quantity: int
    checkout_token: str | None
    livemode: bool


@dataclass(frozen=True)
class IgnoredEvent:
    """A signed event that records nothing (another type, or not paid yet): acknowledged only."""

    event_id: str
    event_type: str
    reason: str


def minor_digits(currency: str) -> int:
    """Return how many minor-unit digits the provider uses for a currency (USD 2, JPY 0)."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    return 3 if code in _THREE_DECIMAL else 2


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Return an amount in minor units (cents) as an exact amount in major units (dollars)."""
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Return an exact amount in minor units; refuse one finer than the currency's smallest unit."""
    minor = amount.scaleb(minor_digits(currency))
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise ValueError(f"{amount} {currency.upper()} is not a whole number of minor units")
    return int(minor)


def _digest(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign_payload(secret: str, body: bytes, *, at: datetime) -> str:
    """Return the `Stripe-Signature` header value for a body sent at this time."""
    if not secret:
        raise ValueError("a webhook secret is needed to sign")
    t = int(at.timestamp())
    return f"t={t},{SCHEME}={_digest(secret, body, t)}"


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or not name or not value:
            raise PaymentSignatureInvalid(
                f"malformed {SIGNATURE_HEADER} header: expected t=<unix time>,v1=<hex signature>"
            )
        if name == "t":
            timestamps.append(value)
        elif name == SCHEME:
            signatures.append(value)
        # Other schemes (v0, a future v2) are not ours to check: skipped, as the provider's do.
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise PaymentSignatureInvalid(
            f"malformed {SIGNATURE_HEADER} header: it needs exactly one t=<unix time>"
        )
    if not signatures:
        raise PaymentSignatureInvalid(f"the {SIGNATURE_HEADER} header has no {SCHEME} signature")
    return int(timestamps[0]), signatures


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> int:
    """Return the signed time of a body whose header signs it recently; raise why otherwise."""
    if not secret:
        raise ValueError("a webhook secret is needed to verify")
    if header is None or not header.strip():
        raise PaymentSignatureInvalid(f"the {SIGNATURE_HEADER} header is missing")
    t, signatures = _parse_header(header)
    expected = _digest(secret, body, t)
    # compare_digest on each: how far a guess matches never shows in the time taken.
    if not any(hmac.compare_digest(expected.encode(), s.encode()) for s in signatures):
        raise PaymentSignatureInvalid(
            "the signature does not match the body: it was signed with another secret, "
            "or the body was changed after signing"
        )
    age = now.timestamp() - t
    if age > tolerance_s:
        raise PaymentSignatureInvalid(
            f"the signature is {age:.0f} s old, more than the {tolerance_s} s allowed "
            "(a replayed delivery, or a clock that is off)"
        )
    if -age > tolerance_s:
        raise PaymentSignatureInvalid(
            f"the signature is dated {-age:.0f} s in the future: check the clocks"
        )
    return t


def _field(data: dict[str, Any], name: str, where: str) -> Any:
    value = data.get(name)
    if value is None or value == "":
        raise PaymentEventInvalid(f"the event has no {where}{name}")
    return value


def _text(value: Any, name: str, *, limit: int = MAX_ID) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise PaymentEventInvalid(f"{name} must be a non-empty string of at most {limit} chars")
    return value.strip()


def _whole(value: Any, name: str, *, low: int, high: int) -> int:
    # The provider sends metadata as strings ("3"); amounts as JSON numbers.
    if isinstance(value, bool):
        raise PaymentEventInvalid(f"{name} must be a whole number")
    problem = f"{name} must be a whole number, not {str(value)[:40]!r}"
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PaymentEventInvalid(problem) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise PaymentEventInvalid(problem)
    if not low <= number <= high:
        raise PaymentEventInvalid(f"{name} must be between {low} and {high}, not {number}")
    return int(number)


def _object_of(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise PaymentEventInvalid("the event has no data.object")
    return obj


def _email_of(obj: dict[str, Any]) -> str | None:
    details = obj.get("customer_details")
    email = obj.get("customer_email") or (details or {}).get("email")
    if email is None:
        return None
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise PaymentEventInvalid("data.object.customer_email is not an email address")
    return email.strip()


def _occurred_at(event: dict[str, Any]) -> datetime:
    created = _whole(_field(event, "created", ""), "created", low=0, high=2**40)
    return datetime.fromtimestamp(created, UTC)


def _paid_checkout(event: dict[str, Any], event_id: str, event_type: str) -> PaymentEvent:
    obj = _object_of(event)
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise PaymentEventInvalid("data.object.metadata must be an object")
    currency = _text(_field(obj, "currency", "data.object."), "currency", limit=3).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise PaymentEventInvalid(f"currency {currency!r} is not an ISO 4217 code")
    amount_minor = _whole(
        _field(obj, "amount_total", "data.object."), "amount_total", low=0, high=10**15
    )
    period = _text(_field(metadata, "period", "data.object.metadata."), "metadata.period")
    if period not in PERIODS:
        raise PaymentEventInvalid(f"metadata.period must be one of {', '.join(PERIODS)}")
    lead = metadata.get("lead_id")
    lead_id = None if lead in (None, "") else _whole(lead, "metadata.lead_id", low=1, high=2**62)
    email = _email_of(obj)
    if lead_id is None and email is None:
        raise PaymentEventInvalid("the event names no buyer: neither metadata.lead_id nor an email")
    token = metadata.get("checkout_token")
    return PaymentEvent(
        event_id=event_id,
        event_type=event_type,
        session_id=_text(_field(obj, "id", "data.object."), "data.object.id"),
        occurred_at=_occurred_at(event),
        amount_minor=amount_minor,
        amount=to_major(amount_minor, currency),
        currency=currency,
        customer_email=email,
        lead_id=lead_id,
        plan_id=_text(_field(metadata, "plan", "data.object.metadata."), "metadata.plan"),
        period="annual" if period == "annual" else "monthly",
        quantity=_whole(metadata.get("quantity", 1), "metadata.quantity", low=1, high=MAX_QUANTITY),
        checkout_token=_text(token, "metadata.checkout_token", limit=2000) if token else None,
        livemode=bool(event.get("livemode", False)),
    )


def parse_payment_event(body: bytes) -> PaymentEvent | IgnoredEvent:
    """Return the paid checkout a webhook body reports, or what it is when it reports none."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PaymentEventInvalid(f"the body is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise PaymentEventInvalid("the body is not a JSON object")
    event_id = _text(_field(event, "id", ""), "id")
    event_type = _text(_field(event, "type", ""), "type", limit=200)
    if event_type not in PAID_TYPES:
        return IgnoredEvent(event_id, event_type, f"{event_type} records no purchase")
    status = _object_of(event).get("payment_status", "paid")
    if status not in PAID_STATUSES:
        return IgnoredEvent(event_id, event_type, f"payment_status is {status!r}: not paid yet")
    return _paid_checkout(event, event_id, event_type)


def verify_payment_event(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> PaymentEvent | IgnoredEvent:
    """Verify a webhook's signature, then return the paid checkout it reports (if any)."""
    verify_signature(secret, body, header, now=now, tolerance_s=tolerance_s)
    return parse_payment_event(body)


def completed_checkout_body(
    *,
    event_id: str,
    session_id: str,
    amount_minor: int,
    currency: str,
    customer_email: str | None,
    metadata: dict[str, str],
    created: datetime,
    livemode: bool = False,
) -> bytes:
    """Return a `checkout.session.completed` event body shaped as the provider sends it."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(created.timestamp()),
        "livemode": livemode,
        "type": COMPLETED,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "amount_total": amount_minor,
                "currency": currency.lower(),
                "customer_email": customer_email,
                "payment_status": "paid",
                "status": "complete",
                "metadata": metadata,
            }
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()
