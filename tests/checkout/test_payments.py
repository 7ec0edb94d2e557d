"""The payment webhook's signature (Stripe-compatible) and the paid checkout it reports."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from checkout.errors import PaymentEventInvalid, PaymentSignatureInvalid
from checkout.payments import (
    IgnoredEvent,
    PaymentEvent,
    parse_payment_event,
    sign_payload,
    to_major,
    to_minor,
    verify_payment_event,
    verify_signature,
)
from tests.checkout.factories import NOW, WEBHOOK_SECRET, payment_body

BODY = b'{"id":"evt_1","type":"checkout.session.completed"}'


def _verify(
    header: str | None, *, body: bytes = BODY, now_s: float = 0, tolerance_s: int = 300
) -> int:
    return verify_signature(
        WEBHOOK_SECRET, body, header, now=NOW + timedelta(seconds=now_s), tolerance_s=tolerance_s
    )


def test_a_signature_made_now_verifies_and_returns_its_time() -> None:
    header = sign_payload(WEBHOOK_SECRET, BODY, at=NOW)
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert _verify(header) == int(NOW.timestamp())


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "header is missing"),
        ("", "header is missing"),
        ("garbage", "malformed"),
        ("t=abc,v1=00", "exactly one t="),
        ("v1=00", "exactly one t="),
        ("t=1,t=2,v1=00", "exactly one t="),
        ("t=1773068400", "no v1 signature"),
        ("t=1773068400,v0=deadbeef", "no v1 signature"),
    ],
)
def test_a_missing_or_malformed_header_is_refused_with_why(header: str | None, reason: str) -> None:
    with pytest.raises(PaymentSignatureInvalid, match=reason):
        _verify(header)


def test_a_changed_body_or_another_secret_does_not_match() -> None:
    header = sign_payload(WEBHOOK_SECRET, BODY, at=NOW)
    with pytest.raises(PaymentSignatureInvalid, match="does not match"):
        _verify(header, body=BODY.replace(b"evt_1", b"evt_2"))
    other = sign_payload("whsec_someone_else", BODY, at=NOW)
    with pytest.raises(PaymentSignatureInvalid, match="does not match"):
        _verify(other)
    # The time is signed too: moving it breaks the signature.
    t, _, rest = header.partition(",")
    moved = f"t={int(t[2:]) + 1},{rest}"
    with pytest.raises(PaymentSignatureInvalid, match="does not match"):
        _verify(moved, now_s=1)


def test_a_signature_older_than_the_tolerance_is_a_replay() -> None:
    header = sign_payload(WEBHOOK_SECRET, BODY, at=NOW)
    assert _verify(header, now_s=300)  # at the edge: still fine
    with pytest.raises(PaymentSignatureInvalid, match="301 s old, more than the 300 s allowed"):
        _verify(header, now_s=301)
    assert _verify(header, now_s=3000, tolerance_s=3600)


def test_a_signature_from_the_future_is_refused() -> None:
    header = sign_payload(WEBHOOK_SECRET, BODY, at=NOW + timedelta(seconds=900))
    with pytest.raises(PaymentSignatureInvalid, match="in the future"):
        _verify(header)


def test_during_a_secret_rotation_any_one_v1_is_enough() -> None:
    old = sign_payload("whsec_old", BODY, at=NOW).split(",")[1]
    new = sign_payload(WEBHOOK_SECRET, BODY, at=NOW).split(",")[1]
    t = int(NOW.timestamp())
    assert _verify(f"t={t},{old},{new}") == t
    assert _verify(f"t={t}, {new} ,{old},v0=ignored") == t
    with pytest.raises(PaymentSignatureInvalid, match="does not match"):
        _verify(f"t={t},{old},{old}")


def test_a_paid_checkout_is_parsed_exactly() -> None:
    body = payment_body(
        event_id="evt_42",
        session_id="cs_42",
        amount=Decimal("25.50"),
        quantity=3,
        lead_id=7,
        token="tok",
        email="Buyer@Acme.example",
    )
    event = parse_payment_event(body)
    assert isinstance(event, PaymentEvent)
    assert (event.event_id, event.session_id, event.event_type) == (
        "evt_42",
        "cs_42",
        "checkout.session.completed",
    )
    assert (event.amount_minor, event.amount, event.currency) == (2550, Decimal("25.50"), "USD")
    assert (event.plan_id, event.period, event.quantity, event.lead_id) == ("team", "monthly", 3, 7)
    assert (event.customer_email, event.checkout_token) == ("Buyer@Acme.example", "tok")
    assert event.occurred_at == NOW
    with pytest.raises(AttributeError):
        event.amount = Decimal(0)  # type: ignore[misc]


def test_amounts_in_minor_units_follow_the_currency() -> None:
    assert to_major(850, "usd") == Decimal("8.50")
    assert to_major(1200, "JPY") == Decimal(1200)
    assert to_major(1234, "KWD") == Decimal("1.234")
    assert to_minor(Decimal("85"), "USD") == 8500
    with pytest.raises(ValueError, match="whole number of minor units"):
        to_minor(Decimal("0.5"), "JPY")


def test_other_event_types_and_unpaid_sessions_are_ignored() -> None:
    refund = json.dumps({"id": "evt_r", "type": "charge.refunded", "data": {"object": {}}})
    ignored = parse_payment_event(refund.encode())
    assert isinstance(ignored, IgnoredEvent)
    assert (ignored.event_id, ignored.event_type) == ("evt_r", "charge.refunded")
    event = json.loads(payment_body())
    event["data"]["object"]["payment_status"] = "unpaid"
    unpaid = parse_payment_event(json.dumps(event).encode())
    assert isinstance(unpaid, IgnoredEvent)
    assert "not paid yet" in unpaid.reason
    event["type"] = "checkout.session.async_payment_succeeded"
    event["data"]["object"]["payment_status"] = "paid"
    assert isinstance(parse_payment_event(json.dumps(event).encode()), PaymentEvent)


def _without(path: tuple[str, ...]) -> bytes:
    event = json.loads(payment_body(lead_id=None))
    node = event
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_without(("id",)), "no id"),
        (_without(("data",)), "no data.object"),
        (_without(("data", "object", "amount_total")), "no data.object.amount_total"),
        (_without(("data", "object", "currency")), "no data.object.currency"),
        (_without(("data", "object", "id")), "no data.object.id"),
        (_without(("data", "object", "metadata", "plan")), "metadata.plan"),
        (_without(("data", "object", "metadata", "period")), "metadata.period"),
        (_without(("data", "object", "customer_email")), "neither metadata.lead_id nor"),
        (payment_body(period="weekly"), "metadata.period must be one of"),
        (payment_body(quantity=0), "between 1 and"),
    ],
)
def test_a_paid_checkout_missing_a_field_is_invalid(body: bytes, reason: str) -> None:
    with pytest.raises(PaymentEventInvalid, match=reason):
        parse_payment_event(body)


def test_verify_payment_event_checks_the_signature_before_reading() -> None:
    body = payment_body()
    header = sign_payload(WEBHOOK_SECRET, body, at=NOW)
    assert isinstance(
        verify_payment_event(WEBHOOK_SECRET, body, header, now=NOW, tolerance_s=300), PaymentEvent
    )
    with pytest.raises(PaymentSignatureInvalid):
        verify_payment_event(WEBHOOK_SECRET, b"not json", header, now=NOW, tolerance_s=300)


def test_stripe_and_we_accept_each_others_signatures() -> None:
    stripe = pytest.importorskip("stripe")
    body = payment_body()
    t = int(NOW.timestamp())
    theirs = stripe.WebhookSignature.generate_signature_header(
        body.decode(), WEBHOOK_SECRET, timestamp=t
    )
    assert _verify(theirs, body=body) == t
    ours = sign_payload(WEBHOOK_SECRET, body, at=NOW)
    assert ours == theirs
    # tolerance=None: the library compares with the wall clock; ours was dated NOW (2026-03-09).
    assert stripe.WebhookSignature.verify_header(body, ours, WEBHOOK_SECRET, tolerance=None)
    event = stripe.Webhook.construct_event(body, ours, WEBHOOK_SECRET, tolerance=None)
    assert event["data"]["object"]["amount_total"] == 850
