"""The checkout page's three views (the offer, the receipt, a problem), rendered on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.resources import AppResources
from checkout.catalog import Catalog, Plan, format_money
from checkout.links import CheckoutOffer
from checkout.purchases import ListedPrice, PurchaseOutcome

_STATIC = Path(__file__).resolve().parent / "static"
# Pages carry a signed link (and a receipt): never cached, never sent on as a referrer.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Seats a page sells when the catalog names no seat limit.
PAGE_MAX_QUANTITY = 1000
_PERIOD_LABELS = {"monthly": "Billed monthly", "annual": "Billed annually"}
_PER = {"monthly": "month", "annual": "year"}
_NEXT_STEPS = {
    410: "Ask the assistant or your rep for a new checkout link; it will carry the current price.",
    400: "Open the link exactly as you received it (a link cut short or edited does not work), "
    "or ask the assistant or your rep for a new one.",
    422: "Nothing was recorded. Try again, or ask your rep to help you finish the purchase.",
}


@dataclass(frozen=True)
class OfferForm:
    """What the buyer typed (or what the page starts with)."""

    email: str
    quantity: int


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(_STATIC),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(context: dict[str, Any], *, status: int) -> HTMLResponse:
    html = _templates().get_template("checkout.html.j2").render(context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _plan(catalog: Catalog | None, plan_id: str) -> Plan | None:
    if catalog is None:
        return None
    return next((plan for plan in catalog.plans if plan.id == plan_id), None)


def _company(resources: AppResources, catalog: Catalog | None) -> str:
    return catalog.company if catalog is not None else resources.nurture.company_name


def max_quantity(catalog: Catalog | None, offer: CheckoutOffer) -> int:
    """Return how many units a link's plan sells for: 1 for a flat plan, else up to its seats."""
    plan = _plan(catalog, offer.plan_id)
    if plan is None:
        return PAGE_MAX_QUANTITY
    if plan.unit == "flat":
        return 1
    seats = next((limit.value for limit in plan.limits if limit.key == "seats"), None)
    return seats if seats is not None and seats > 0 else PAGE_MAX_QUANTITY


def offer_page(
    resources: AppResources,
    offer: CheckoutOffer,
    *,
    token: str,
    form: OfferForm,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """Render what a link offers and the form that pays it."""
    catalog = resources.agent().catalog
    plan = _plan(catalog, offer.plan_id)
    per_seat = plan is None or plan.unit == "seat"
    each = format_money(offer.unit_price, offer.currency)
    unit_label = f"{each} per seat per {_PER[offer.period]}" if per_seat else each
    expires = offer.issued_at + timedelta(seconds=resources.checkout_ttl_s)
    total = format_money(offer.unit_price * form.quantity, offer.currency)
    context = {
        "view": "offer",
        "title": f"Check out {offer.plan_name}",
        "company": _company(resources, catalog),
        "plan_name": offer.plan_name,
        "summary": plan.summary if plan else "",
        "features": list(plan.features[:6]) if plan else [],
        "period_label": _PERIOD_LABELS[offer.period],
        "unit_price_label": unit_label if per_seat else f"{each} per {_PER[offer.period]}",
        "unit_price": str(offer.unit_price),
        "currency": offer.currency,
        "per_seat": per_seat,
        "max_quantity": max_quantity(catalog, offer),
        "quantity": form.quantity,
        "email": form.email,
        "email_required": not form.email,
        "total_label": total,
        "expires_at_iso": expires.isoformat(),
        "expires_at_label": expires.strftime("%d %b %Y, %H:%M UTC"),
        "pay_url": f"/checkout/{token}/pay",
        "error": error,
    }
    return _render(context, status=status)


def receipt_page(
    resources: AppResources,
    outcome: PurchaseOutcome,
    *,
    price: ListedPrice,
    email: str | None,
    rep_told: bool,
) -> HTMLResponse:
    """Render the receipt of a recorded (or already recorded) payment."""
    catalog = resources.agent().catalog
    plan = _plan(catalog, outcome.plan_id)
    context = {
        "view": "receipt",
        "title": "Already paid" if outcome.duplicate else "Payment received",
        "company": _company(resources, catalog),
        "duplicate": outcome.duplicate,
        "plan_name": price.plan_name,
        "period_label": _PERIOD_LABELS.get(outcome.period, outcome.period),
        "per_seat": plan is None or plan.unit == "seat",
        "quantity": outcome.quantity,
        "total_label": format_money(outcome.amount, outcome.currency),
        "email": outcome.customer_email or email or "",
        "reference": outcome.session_id,
        "rep_told": rep_told,
    }
    return _render(context, status=200)


def problem_page(
    title: str, message: str, *, status: int, next_step: str | None = None
) -> HTMLResponse:
    """Render a page that says what went wrong and what to do."""
    text = message[:1].upper() + message[1:]
    context = {
        "view": "problem",
        "title": title,
        "company": "",
        "message": text if text.endswith(".") else f"{text}.",
        "next_step": next_step or _NEXT_STEPS.get(status, _NEXT_STEPS[422]),
    }
    return _render(context, status=status)
