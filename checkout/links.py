"""Signed, expiring checkout links for a plan and period at the catalog's price.

The link carries the plan, the period, the exact unit price and currency it was offered at, and
(optionally) the lead; it is signed with the installation's secret key, so a price cannot be
edited in the URL, and it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from checkout.catalog import BillingPeriod, Catalog
from checkout.errors import CheckoutLinkExpired, CheckoutLinkInvalid

_SALT = "clinch-checkout"
PERIODS: tuple[BillingPeriod, ...] = ("monthly", "annual")


@dataclass(frozen=True)
class CheckoutOffer:
    """What a checkout link offers: a plan, a period and the exact price it was offered at."""

    plan_id: str
    plan_name: str
    period: BillingPeriod
    unit_price: Decimal
    currency: str
    lead_id: int | None
    issued_at: datetime


def sign_checkout(
    secret: str,
    catalog: Catalog,
    *,
    plan_id: str,
    period: BillingPeriod,
    lead_id: int | None = None,
) -> str:
    """Return a signed token for checking out a listed plan at its catalog price."""
    plan = catalog.plan(plan_id)
    price = catalog.price_of(plan_id, period)  # refuses contact-sales plans
    body = {
        "plan": plan.id,
        "name": plan.name,
        "period": period,
        "price": str(price),
        "currency": catalog.currency,
        "lead": lead_id,
    }
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps(body)


def read_checkout(secret: str, token: str, *, max_age_s: int) -> CheckoutOffer:
    """Return the offer of a valid, unexpired checkout token."""
    serializer = URLSafeTimedSerializer(secret, salt=_SALT)
    try:
        body, signed_at = serializer.loads(token, max_age=max_age_s, return_timestamp=True)
    except SignatureExpired as exc:
        raise CheckoutLinkExpired(
            "this checkout link has expired: ask the assistant or your rep for a new one"
        ) from exc
    except BadSignature as exc:
        raise CheckoutLinkInvalid(
            "this checkout link is not valid (it was changed or cut)"
        ) from exc
    try:
        period = body["period"]
        if period not in PERIODS:
            raise ValueError(period)
        return CheckoutOffer(
            plan_id=str(body["plan"]),
            plan_name=str(body["name"]),
            period=period,
            unit_price=Decimal(str(body["price"])),
            currency=str(body["currency"]),
            lead_id=int(body["lead"]) if body.get("lead") is not None else None,
            issued_at=signed_at.astimezone(UTC),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise CheckoutLinkInvalid(
            "this checkout link is not valid (its content is malformed)"
        ) from exc
