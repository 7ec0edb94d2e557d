"""Checkout over HTTP: the payment webhook (signed, once, at the price) and the checkout page."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.resources import AppResources
from checkout.payments import sign_payload
from leads.db import unit_of_work
from leads.models import Event, Lead, Notification, utcnow
from tests.checkout.factories import aged_link, link, make_lead, make_rep, own_account, payment_body

WEBHOOK = "/v1/checkout/webhook"


def _headers(resources: AppResources, body: bytes, *, age_s: int = 0) -> dict[str, str]:
    at = utcnow() - timedelta(seconds=age_s)
    return {
        "Stripe-Signature": sign_payload(resources.payment_webhook_secret, body, at=at),
        "Content-Type": "application/json",
    }


def _buyer(resources: AppResources, email: str) -> tuple[int, int]:
    """A lead at a company whose account a rep owns; the lead and the rep's ids."""
    with unit_of_work(resources.sessions) as session:
        lead_id = make_lead(session, email=email, at=utcnow() - timedelta(days=2))
        rep_id = make_rep(session, name=f"Owner of {email}", email=f"owner-{email}")
        own_account(session, lead_id=lead_id, rep_id=rep_id)
    return lead_id, rep_id


def _purchases(resources: AppResources, lead_id: int) -> list[Event]:
    with unit_of_work(resources.sessions) as session:
        query = select(Event).where(Event.lead_id == lead_id, Event.type == "purchase")
        return list(session.scalars(query))


def _status(resources: AppResources, lead_id: int) -> str:
    with unit_of_work(resources.sessions) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.status


def _paid(resources: AppResources, lead_id: int, **values: object) -> bytes:
    token = link(key=resources.signing_key, lead_id=lead_id)
    return payment_body(lead_id=lead_id, token=token, created=utcnow(), **values)  # type: ignore[arg-type]


def test_a_signed_payment_is_recorded_once_and_the_owner_told(
    client: TestClient, resources: AppResources
) -> None:
    lead_id, _ = _buyer(resources, "ada@hooked.example")
    body = _paid(resources, lead_id, amount=Decimal("17.00"), quantity=2)
    headers = _headers(resources, body)
    response = client.post(WEBHOOK, content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["status"], answer["lead_id"]) == ("recorded", lead_id)
    assert answer["event_id"].startswith("evt_test_")
    [purchase] = _purchases(resources, lead_id)
    assert (purchase.amount, purchase.currency, purchase.plan) == (Decimal("17"), "USD", "team")
    assert _status(resources, lead_id) == "customer"
    with unit_of_work(resources.sessions) as session:
        notices = session.scalars(select(Notification).where(Notification.lead_id == lead_id))
        assert [(n.event, n.target) for n in notices] == [
            ("lead.purchased", "owner-ada@hooked.example")
        ]
    # The provider redelivers the same post (within the tolerance): stored once.
    again = client.post(WEBHOOK, content=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert len(_purchases(resources, lead_id)) == 1
    with unit_of_work(resources.sessions) as session:
        count = len(
            list(session.scalars(select(Notification).where(Notification.lead_id == lead_id)))
        )
        assert count == 1


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda h: {k: v for k, v in h.items() if k != "Stripe-Signature"}, "header is missing"),
        (lambda h: {**h, "Stripe-Signature": "t=1,v1"}, "malformed"),
        (lambda h: {**h, "Stripe-Signature": h["Stripe-Signature"].split(",")[0]}, "no v1"),
        (
            lambda h: {**h, "Stripe-Signature": h["Stripe-Signature"][:-4] + "0000"},
            "does not match",
        ),
    ],
)
def test_a_badly_signed_payment_is_refused_with_the_reason(
    client: TestClient, resources: AppResources, mangle: object, reason: str
) -> None:
    lead_id, _ = _buyer(resources, f"bad-{abs(hash(reason))}@signed.example")
    body = _paid(resources, lead_id)
    headers = mangle(_headers(resources, body))  # type: ignore[operator]
    response = client.post(WEBHOOK, content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "payment_signature_invalid"
    assert reason in response.json()["detail"]
    assert _purchases(resources, lead_id) == []


def test_a_changed_body_or_a_stale_signature_is_refused(
    client: TestClient, resources: AppResources
) -> None:
    lead_id, _ = _buyer(resources, "eve@replay.example")
    body = _paid(resources, lead_id)
    headers = _headers(resources, body)
    forged = body.replace(b'"quantity":"1"', b'"quantity":"9"')
    assert forged != body
    response = client.post(WEBHOOK, content=forged, headers=headers)
    assert response.status_code == 400
    assert "does not match" in response.json()["detail"]
    # An old delivery replayed after the tolerance: refused even though the signature is right.
    stale = _headers(resources, body, age_s=resources.payment_tolerance_s + 30)
    response = client.post(WEBHOOK, content=body, headers=stale)
    assert response.status_code == 400
    assert "old, more than the" in response.json()["detail"]
    assert _purchases(resources, lead_id) == []


def test_a_payment_that_is_not_the_price_is_refused(
    client: TestClient, resources: AppResources
) -> None:
    lead_id, _ = _buyer(resources, "cheap@skate.example")
    body = _paid(resources, lead_id, amount=Decimal("1.00"))
    response = client.post(WEBHOOK, content=body, headers=_headers(resources, body))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "payment_event_invalid"
    assert "is not the price: 1 × $8.50 = $8.50" in response.json()["detail"]
    assert _purchases(resources, lead_id) == []
    assert _status(resources, lead_id) != "customer"


def test_other_events_are_acknowledged_and_ignored(
    client: TestClient, resources: AppResources
) -> None:
    body = json.dumps({"id": "evt_refund", "type": "charge.refunded", "data": {"object": {}}})
    response = client.post(WEBHOOK, content=body, headers=_headers(resources, body.encode()))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ignored",
        "event_id": "evt_refund",
        "lead_id": None,
        "reason": "charge.refunded records no purchase",
    }


def test_the_checkout_page_shows_the_offer(client: TestClient, resources: AppResources) -> None:
    lead_id, _ = _buyer(resources, "page@viewer.example")
    token = link(key=resources.signing_key, lead_id=lead_id, period="annual")
    response = client.get(f"/checkout/{token}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<h2 id="checkout-plan">Team</h2>' in html
    assert "Billed annually" in html
    assert "$85 per seat per year" in html
    assert 'value="page@viewer.example"' in html
    assert "no card is asked for and nothing is charged" in html
    assert f'action="/checkout/{token}/pay"' in html
    with unit_of_work(resources.sessions) as session:
        started = session.scalars(
            select(Event).where(Event.lead_id == lead_id, Event.type == "checkout_started")
        )
        assert [(e.plan, e.period) for e in started] == [("team", "annual")]
    client.get(f"/checkout/{token}")  # a second visit: still one checkout_started
    with unit_of_work(resources.sessions) as session:
        query = select(Event).where(Event.lead_id == lead_id, Event.type == "checkout_started")
        assert len(list(session.scalars(query))) == 1
    offered = client.get(f"/v1/checkout/{token}")  # the same link as JSON, for scripts
    assert offered.status_code == 200
    assert (offered.json()["unit_price"], offered.json()["lead_id"]) == ("85", lead_id)
    assert client.get("/checkout.css").status_code == 200
    assert client.get("/checkout.js").headers["content-type"].startswith("text/javascript")


def test_an_expired_or_altered_link_gets_a_clear_page(
    client: TestClient, resources: AppResources
) -> None:
    token = link(key=resources.signing_key)
    old = aged_link(token, key=resources.signing_key, age_s=resources.checkout_ttl_s + 60)
    for path in (f"/checkout/{old}", f"/checkout/{old}/pay"):
        response = client.request("GET" if path.endswith(old) else "POST", path)
        assert response.status_code == 410, response.text
        assert "This checkout link has expired" in response.text
        assert "holds its price for 72 hours, and this one is older." in response.text
        assert "Ask the assistant or your rep for a new checkout link" in response.text
    altered = client.get(f"/checkout/{token[:-2]}xx")
    assert altered.status_code == 400
    assert "This checkout link does not work" in altered.text
    assert "it was changed or cut" in altered.text


def test_the_demo_payment_step_records_a_purchase_and_shows_a_receipt(
    client: TestClient, resources: AppResources
) -> None:
    lead_id, _ = _buyer(resources, "demo@payer.example")
    token = link(key=resources.signing_key, lead_id=lead_id)
    form = {"email": "demo@payer.example", "quantity": "3"}
    response = client.post(f"/checkout/{token}/pay", data=form)
    assert response.status_code == 200, response.text
    assert "Payment received" in response.text
    assert re.search(r'id="receipt-total">\$25\.50<', response.text)
    assert "no card was charged" in response.text
    assert "Your account manager has been told" in response.text
    [purchase] = _purchases(resources, lead_id)
    assert (purchase.amount, purchase.properties["quantity"]) == (Decimal("25.5"), 3)
    assert purchase.properties["session_id"].startswith("cs_demo_")
    assert _status(resources, lead_id) == "customer"
    # The form sent again (a refresh): the same payment, shown as paid, nothing charged twice.
    repeat = client.post(f"/checkout/{token}/pay", data={**form, "email": "Demo@Payer.example"})
    assert repeat.status_code == 200
    assert "Already paid" in repeat.text
    assert "nothing was charged twice" in repeat.text
    assert len(_purchases(resources, lead_id)) == 1


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"email": "", "quantity": "1"}, "Enter the email address"),
        ({"email": "not-an-email", "quantity": "1"}, "is not an email address"),
        ({"email": "a@b.example", "quantity": "0"}, "Choose between 1 and 1000 seats"),
        ({"email": "a@b.example", "quantity": "lots"}, "Choose between 1 and 1000 seats"),
    ],
)
def test_a_form_that_cannot_pay_is_shown_again_with_why(
    client: TestClient, resources: AppResources, form: dict[str, str], problem: str
) -> None:
    token = link(key=resources.signing_key)  # an anonymous link: the email is needed
    response = client.post(f"/checkout/{token}/pay", data=form)
    assert response.status_code == 422, response.text
    assert 'id="checkout-error"' in response.text
    assert problem in response.text
    assert 'id="checkout-form"' in response.text


def test_with_demo_payments_off_the_pay_step_is_not_served(
    client: TestClient, app: FastAPI, resources: AppResources
) -> None:
    lead_id, _ = _buyer(resources, "prod@payer.example")
    token = link(key=resources.signing_key, lead_id=lead_id)
    app.state.resources = dataclasses.replace(resources, demo_payments=False)
    try:
        response = client.post(f"/checkout/{token}/pay", data={"email": "prod@payer.example"})
    finally:
        app.state.resources = resources
    assert response.status_code == 404
    assert "the demo payment step is off" in response.text
    assert _purchases(resources, lead_id) == []
