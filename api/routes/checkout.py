"""Checkout: what a signed link offers, the checkout page and the payment provider's webhook.

Both ways a payment arrives meet in `record_payment`: the provider's webhook (`Stripe-Signature`
checked with the payment webhook secret) and the demo's payment step, a built-in provider that
signs a `checkout.session.completed` event with the same secret and hands it over the same way.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.checkout_pages import OfferForm, max_quantity, offer_page, problem_page, receipt_page
from api.deps import ResourcesDep, SessionDep
from api.resources import AppResources
from api.schemas import ErrorBody
from api.schemas_chat import CheckoutOfferOut
from checkout.catalog import Catalog, format_money
from checkout.errors import (
    CheckoutLinkExpired,
    CheckoutLinkInvalid,
    PaymentEventInvalid,
    PaymentSignatureInvalid,
)
from checkout.links import CheckoutOffer, read_checkout
from checkout.payments import (
    IgnoredEvent,
    completed_checkout_body,
    sign_payload,
    to_minor,
    verify_payment_event,
)
from checkout.purchases import ListedPrice, PurchaseOutcome, listed_price, record_purchase
from leads.event_rules import EventIn
from leads.identity import current_lead, normalise_email
from leads.intake import ingest_events
from leads.models import utcnow
from routing.notices import purchase_notices

router = APIRouter(tags=["checkout"])
_log = logging.getLogger("clinch.api.checkout")
_STATIC = Path(__file__).resolve().parents[1] / "static"
# A provider's checkout session can be paid up to a day after it opened from a link.
LINK_GRACE_S = 24 * 3600
MAX_WEBHOOK_BYTES = 256 * 1024
DEMO_PREFIX = "demo_"
WebhookStatus = Literal["recorded", "duplicate", "ignored"]


class PaymentWebhookOut(BaseModel):
    """What a payment webhook did: recorded a purchase, saw it before, or had nothing to record."""

    status: WebhookStatus
    event_id: str
    lead_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecordedPayment:
    """A verified payment's result, and the notices its purchase wrote (queued after commit)."""

    status: WebhookStatus
    event_id: str
    outcome: PurchaseOutcome | None
    price: ListedPrice | None
    notice_ids: tuple[int, ...]
    reason: str | None = None


async def _raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes sent: read them before anything parses them.
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _purchase_part(outcome: PurchaseOutcome, price: ListedPrice) -> dict[str, Any]:
    return {
        "plan_id": outcome.plan_id,
        "plan_name": price.plan_name,
        "period": outcome.period,
        "quantity": outcome.quantity,
        "amount": str(outcome.amount),
        "currency": outcome.currency,
        "total": format_money(outcome.amount, outcome.currency),
        "price_source": price.source,
        "session_id": outcome.session_id,
        "provider_event_id": outcome.provider_event_id,
    }


def record_payment(
    session: Session,
    resources: AppResources,
    *,
    body: bytes,
    header: str | None,
    now: datetime,
) -> RecordedPayment:
    """Verify a signed payment event and store its purchase once; write the rep's notices."""
    event = verify_payment_event(
        resources.payment_webhook_secret,
        body,
        header,
        now=now,
        tolerance_s=resources.payment_tolerance_s,
    )
    if isinstance(event, IgnoredEvent):
        return RecordedPayment("ignored", event.event_id, None, None, (), event.reason)
    catalog: Catalog | None = None
    if event.checkout_token is None:  # only then is the catalog's price the one to match
        catalog = resources.agent().catalog
    price = listed_price(
        event,
        signing_key=resources.signing_key,
        catalog=catalog,
        link_max_age_s=resources.checkout_ttl_s + LINK_GRACE_S,
    )
    outcome = record_purchase(session, event=event, price=price, received_at=now)
    if outcome.duplicate:
        return RecordedPayment("duplicate", event.event_id, outcome, price, ())
    notices = purchase_notices(
        session,
        lead_id=outcome.lead_id,
        purchase_id=outcome.event_id,
        purchase=_purchase_part(outcome, price),
        now=now,
    )
    return RecordedPayment("recorded", event.event_id, outcome, price, tuple(notices))


def after_payment(resources: AppResources, recorded: RecordedPayment) -> None:
    """Once committed: rescore the buyer, end their nurture, send the rep's notices."""
    if recorded.status != "recorded" or recorded.outcome is None:
        return
    lead_id = recorded.outcome.lead_id
    resources.enqueue_rescore([lead_id])
    resources.enqueue_nurture_exits([lead_id])
    if recorded.notice_ids:
        resources.enqueue_notices(list(recorded.notice_ids))


@router.get(
    "/v1/checkout/{token}",
    response_model=CheckoutOfferOut,
    summary="What a signed checkout link offers (public; 410 when expired, 400 when altered)",
    responses={400: {"model": ErrorBody}, 410: {"model": ErrorBody}},
)
def get_checkout_offer(token: str, resources: ResourcesDep) -> CheckoutOfferOut:
    """Verify a checkout link and return its plan, period and exact price."""
    offer = read_checkout(resources.signing_key, token, max_age_s=resources.checkout_ttl_s)
    return CheckoutOfferOut(
        plan_id=offer.plan_id,
        plan_name=offer.plan_name,
        period=offer.period,
        unit_price=str(offer.unit_price),
        currency=offer.currency,
        lead_id=offer.lead_id,
        issued_at=offer.issued_at,
        expires_at=offer.issued_at + timedelta(seconds=resources.checkout_ttl_s),
    )


@router.post(
    "/v1/checkout/webhook",
    response_model=PaymentWebhookOut,
    summary="The payment provider's webhook (public; Stripe-Signature checked; 400 if not)",
    responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    # Read raw (the signature covers the exact bytes), so described here: the provider's event.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def payment_webhook(
    body: RawBody,
    session: SessionDep,
    resources: ResourcesDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> PaymentWebhookOut:
    """Record a paid checkout once; a repeat answers duplicate, another event type ignored."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PaymentEventInvalid(f"the body is larger than {MAX_WEBHOOK_BYTES} bytes")
    try:
        recorded = record_payment(
            session, resources, body=body, header=stripe_signature, now=utcnow()
        )
    except (PaymentSignatureInvalid, PaymentEventInvalid) as exc:
        _log.warning("payment webhook refused: %s", exc)
        raise
    session.commit()
    after_payment(resources, recorded)
    outcome = recorded.outcome
    return PaymentWebhookOut(
        status=recorded.status,
        event_id=recorded.event_id,
        lead_id=outcome.lead_id if outcome else None,
        reason=recorded.reason,
    )


def _open_link(resources: AppResources, token: str) -> CheckoutOffer | HTMLResponse:
    try:
        return read_checkout(resources.signing_key, token, max_age_s=resources.checkout_ttl_s)
    except CheckoutLinkExpired:
        hours = resources.checkout_ttl_s // 3600
        why = f"a checkout link holds its price for {hours} hours, and this one is older"
        return problem_page("This checkout link has expired", why, status=410)
    except CheckoutLinkInvalid as exc:
        return problem_page("This checkout link does not work", str(exc), status=400)


def _lead_email(session: Session, offer: CheckoutOffer) -> str | None:
    lead = current_lead(session, lead_id=offer.lead_id) if offer.lead_id is not None else None
    return lead.email if lead is not None else None


def _note_started(
    session: Session, resources: AppResources, offer: CheckoutOffer, token: str
) -> None:
    """Store the known lead's `checkout_started` once per link, and rescore it."""
    if offer.lead_id is None:
        return
    now = utcnow()
    digest = hashlib.sha256(token.encode()).hexdigest()[:40]
    result = ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"checkout_started:{digest}",
                type="checkout_started",
                occurred_at=now,
                lead_id=offer.lead_id,
                plan=offer.plan_id,
                period=offer.period,
                properties={"source": "checkout_page"},
            )
        ],
        received_at=now,
        actor="checkout",
    )
    session.commit()
    if result.touched_lead_ids:
        resources.enqueue_rescore(sorted(result.touched_lead_ids))


@router.get("/checkout/{token}", response_class=HTMLResponse, include_in_schema=False)
def checkout_page(token: str, session: SessionDep, resources: ResourcesDep) -> HTMLResponse:
    """Show what a checkout link offers, with the seats and email to pay with."""
    offer = _open_link(resources, token)
    if isinstance(offer, HTMLResponse):
        return offer
    _note_started(session, resources, offer, token)
    form = OfferForm(email=_lead_email(session, offer) or "", quantity=1)
    return offer_page(resources, offer, token=token, form=form)


def _read_form(body: bytes) -> tuple[str, str]:
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return fields.get("email", [""])[0].strip(), fields.get("quantity", ["1"])[0].strip()


def _form_problem(email: str, quantity_text: str, *, max_quantity: int, known: str | None) -> str:
    if not quantity_text.isdigit() or not 1 <= int(quantity_text) <= max_quantity:
        return f"Choose between 1 and {max_quantity} seats."
    if not email and not known:
        return "Enter the email address the receipt should go to."
    if email:
        local, _, domain = email.partition("@")
        if not local or "." not in domain or " " in email or len(email) > 254:
            return f"{email[:80]!r} is not an email address."
    return ""


def _demo_event(offer: CheckoutOffer, token: str, *, email: str | None, quantity: int) -> bytes:
    """Return the event a provider would send for this link paid by this email."""
    # One payment per link and buyer: a resent form (refresh, double click) is the same payment.
    buyer = normalise_email(email) if email else ""
    digest = hashlib.sha256(f"{token}\n{buyer}".encode()).hexdigest()[:32]
    metadata = {
        "plan": offer.plan_id,
        "period": offer.period,
        "quantity": str(quantity),
        "checkout_token": token,
    }
    if offer.lead_id is not None:
        metadata["lead_id"] = str(offer.lead_id)
    return completed_checkout_body(
        event_id=f"evt_{DEMO_PREFIX}{digest}",
        session_id=f"cs_{DEMO_PREFIX}{digest}",
        amount_minor=to_minor(offer.unit_price * quantity, offer.currency),
        currency=offer.currency,
        customer_email=email,
        metadata=metadata,
        created=utcnow(),
    )


@router.post("/checkout/{token}/pay", response_class=HTMLResponse, include_in_schema=False)
def pay_checkout(
    token: str, body: RawBody, session: SessionDep, resources: ResourcesDep
) -> HTMLResponse:
    """The demo's payment step: pay the link through the built-in provider, show the receipt."""
    if not resources.demo_payments:
        return problem_page(
            "No payment step here",
            "This installation takes payments through its payment provider, whose webhook "
            "records the purchase; the demo payment step is off (CLINCH_CHECKOUT__DEMO_PAYMENTS).",
            status=404,
        )
    offer = _open_link(resources, token)
    if isinstance(offer, HTMLResponse):
        return offer
    email, quantity_text = _read_form(body)
    known = _lead_email(session, offer)
    form = OfferForm(email=email, quantity=int(quantity_text) if quantity_text.isdigit() else 1)
    most = max_quantity(resources.agent().catalog, offer)
    problem = _form_problem(email, quantity_text, max_quantity=most, known=known)
    if problem:
        return offer_page(resources, offer, token=token, form=form, error=problem, status=422)
    now = utcnow()
    event = _demo_event(offer, token, email=email or known, quantity=form.quantity)
    header = sign_payload(resources.payment_webhook_secret, event, at=now)
    try:
        recorded = record_payment(session, resources, body=event, header=header, now=now)
    except (PaymentSignatureInvalid, PaymentEventInvalid) as exc:
        session.rollback()
        return problem_page("The payment could not be recorded", str(exc), status=422)
    session.commit()
    after_payment(resources, recorded)
    if recorded.outcome is None or recorded.price is None:  # the demo's events are all paid
        return problem_page("The payment was not recorded", recorded.reason or "", status=422)
    return receipt_page(
        resources,
        recorded.outcome,
        price=recorded.price,
        email=email or known,
        rep_told=bool(recorded.notice_ids),
    )


@router.get("/checkout.css", include_in_schema=False)
def checkout_style() -> FileResponse:
    """Serve the checkout page's style sheet."""
    return FileResponse(_STATIC / "checkout.css", media_type="text/css")


@router.get("/checkout.js", include_in_schema=False)
def checkout_script() -> FileResponse:
    """Serve the checkout page's script."""
    return FileResponse(_STATIC / "checkout.js", media_type="text/javascript")
