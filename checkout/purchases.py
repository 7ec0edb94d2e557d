"""A verified payment becomes the lead's `purchase` event, once, at the price it was offered at.

The event id is the provider's checkout session (`purchase:<session id>`): a redelivered webhook,
or the "completed" and "async payment succeeded" events of one session, store one purchase. The
paid amount must be the quantity times the unit price of the signed checkout link the session
carries (or, without one, the catalog's price now); anything else is refused and nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from checkout.catalog import BillingPeriod, Catalog, format_money
from checkout.errors import CatalogError, CheckoutLinkInvalid, PaymentEventInvalid
from checkout.links import read_checkout
from checkout.payments import PaymentEvent
from leads.event_rules import EventIn
from leads.events import find_event
from leads.identity import EMAIL, current_lead, find_lead, normalise_email
from leads.intake import ingest_events
from leads.models import Event, Lead

CUSTOMER = "customer"
EVENT_PREFIX = "purchase:"
PriceSource = Literal["checkout_link", "catalog"]


@dataclass(frozen=True)
class ListedPrice:
    """The price a purchase must match: a plan and period at a unit price, and where it is from."""

    plan_id: str
    plan_name: str
    period: BillingPeriod
    unit_price: Decimal
    currency: str
    source: PriceSource


@dataclass(frozen=True)
class PurchaseOutcome:
    """What a payment did: the lead who bought, what, for how much, and whether it was a repeat."""

    lead_id: int
    event_id: str
    provider_event_id: str
    session_id: str
    duplicate: bool
    amount: Decimal
    currency: str
    plan_id: str
    period: str
    quantity: int
    customer_email: str | None


def purchase_event_id(event: PaymentEvent) -> str:
    """Return the id the purchase of this payment is stored under."""
    return f"{EVENT_PREFIX}{event.session_id}"


def listed_price(
    event: PaymentEvent, *, signing_key: str, catalog: Catalog | None, link_max_age_s: int
) -> ListedPrice:
    """Return the price the payment must match: its checkout link's, else the catalog's now."""
    if event.checkout_token is not None:
        try:
            offer = read_checkout(signing_key, event.checkout_token, max_age_s=link_max_age_s)
        except CheckoutLinkInvalid as exc:
            raise PaymentEventInvalid(f"the payment's checkout link is refused: {exc}") from exc
        if (offer.plan_id, offer.period) != (event.plan_id, event.period):
            raise PaymentEventInvalid(
                f"the payment is for {event.plan_id} ({event.period}) but its checkout link "
                f"offered {offer.plan_id} ({offer.period})"
            )
        return ListedPrice(
            plan_id=offer.plan_id,
            plan_name=offer.plan_name,
            period=offer.period,
            unit_price=offer.unit_price,
            currency=offer.currency,
            source="checkout_link",
        )
    if catalog is None:
        raise PaymentEventInvalid(
            "the payment carries no checkout link and no pricing catalog is loaded to check it"
        )
    try:
        plan = catalog.plan(event.plan_id)
        unit_price = catalog.price_of(event.plan_id, event.period)
    except CatalogError as exc:
        raise PaymentEventInvalid(f"the payment's plan cannot be checked: {exc}") from exc
    return ListedPrice(
        plan_id=plan.id,
        plan_name=plan.name,
        period=event.period,
        unit_price=unit_price,
        currency=catalog.currency,
        source="catalog",
    )


def check_amount(event: PaymentEvent, price: ListedPrice) -> None:
    """Refuse a payment whose currency or amount is not the listed price times the quantity."""
    due = price.unit_price * event.quantity
    if event.currency != price.currency.upper() or event.amount != due:
        paid = format_money(event.amount, event.currency)
        each = format_money(price.unit_price, price.currency)
        raise PaymentEventInvalid(
            f"the amount paid ({paid}) is not the price: {event.quantity} × {each} = "
            f"{format_money(due, price.currency)} for {price.plan_id} ({price.period})"
        )


def _buyer(session: Session, event: PaymentEvent) -> tuple[int | None, str | None]:
    # The link's lead (if it still exists) is who bought; the email joins it unless it is
    # another lead's, then it only stays in the event's properties.
    email = normalise_email(event.customer_email) if event.customer_email else None
    lead = current_lead(session, lead_id=event.lead_id) if event.lead_id is not None else None
    if lead is None:
        if email is None:
            raise PaymentEventInvalid(
                f"the payment's lead {event.lead_id} no longer exists and it names no email"
            )
        return None, email
    owner = find_lead(session, kind=EMAIL, value=email) if email else None
    return lead.id, email if owner is None or owner.id == lead.id else None


def _purchase_event(
    event: PaymentEvent, price: ListedPrice, lead_id: int | None, email: str | None
) -> EventIn:
    return EventIn(
        event_id=purchase_event_id(event),
        type="purchase",
        occurred_at=event.occurred_at,
        email=email,
        lead_id=lead_id,
        amount=event.amount,
        currency=event.currency,
        plan=event.plan_id,
        period=event.period,
        properties={
            "source": "checkout",
            "provider_event_id": event.event_id,
            "session_id": event.session_id,
            "quantity": event.quantity,
            "unit_price": str(price.unit_price),
            "price_source": price.source,
            "customer_email": event.customer_email,
            "livemode": event.livemode,
        },
    )


def _outcome(event: PaymentEvent, lead_id: int, *, duplicate: bool) -> PurchaseOutcome:
    return PurchaseOutcome(
        lead_id=lead_id,
        event_id=purchase_event_id(event),
        provider_event_id=event.event_id,
        session_id=event.session_id,
        duplicate=duplicate,
        amount=event.amount,
        currency=event.currency,
        plan_id=event.plan_id,
        period=event.period,
        quantity=event.quantity,
        customer_email=event.customer_email,
    )


def _stored_outcome(event: PaymentEvent, stored: Event) -> PurchaseOutcome:
    # What the first delivery stored, not what this one says (a repeat may differ in detail).
    properties = stored.properties or {}
    quantity = properties.get("quantity")
    return PurchaseOutcome(
        lead_id=stored.lead_id,
        event_id=stored.event_id,
        provider_event_id=str(properties.get("provider_event_id") or event.event_id),
        session_id=event.session_id,
        duplicate=True,
        amount=stored.amount if stored.amount is not None else event.amount,
        currency=stored.currency or event.currency,
        plan_id=stored.plan or event.plan_id,
        period=stored.period or event.period,
        quantity=quantity if isinstance(quantity, int) else event.quantity,
        customer_email=properties.get("customer_email") or event.customer_email,
    )


def record_purchase(
    session: Session, *, event: PaymentEvent, price: ListedPrice, received_at: datetime
) -> PurchaseOutcome:
    """Store a verified payment as a purchase (once) and make its lead a customer."""
    stored = find_event(session, event_id=purchase_event_id(event))
    if stored is not None:  # a redelivery is never refused, even if the price changed since
        return _stored_outcome(event, stored)
    check_amount(event, price)
    lead_id, email = _buyer(session, event)
    result = ingest_events(
        session,
        batch=[_purchase_event(event, price, lead_id, email)],
        received_at=received_at,
        actor="checkout",
    )
    outcome = result.outcomes[0]
    if outcome.status == "rejected" or outcome.lead_id is None:
        raise PaymentEventInvalid(f"the purchase was refused: {outcome.reason}")
    if outcome.status == "duplicate":  # a concurrent delivery stored it first
        stored = find_event(session, event_id=purchase_event_id(event))
        if stored is not None:
            return _stored_outcome(event, stored)
        return _outcome(event, outcome.lead_id, duplicate=True)
    lead = session.get(Lead, outcome.lead_id)
    if lead is not None:
        lead.status = CUSTOMER
        session.flush()
    return _outcome(event, outcome.lead_id, duplicate=False)
