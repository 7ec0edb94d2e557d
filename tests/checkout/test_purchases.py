"""A verified payment becomes one purchase at the offered price, on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checkout.catalog import Catalog
from checkout.errors import PaymentEventInvalid
from checkout.payments import PaymentEvent, parse_payment_event
from checkout.purchases import (
    CUSTOMER,
    ListedPrice,
    PurchaseOutcome,
    listed_price,
    record_purchase,
)
from leads.db import unit_of_work
from leads.models import Event, Lead
from leads.snapshots import load_snapshots
from scoring.lead_dataset import observe_lead
from tests.checkout.factories import NOW, SIGNING_KEY, catalog, link, make_lead, payment_body

TTL_S = 3600


def _event(**values: object) -> PaymentEvent:
    event = parse_payment_event(payment_body(**values))  # type: ignore[arg-type]
    assert isinstance(event, PaymentEvent)
    return event


def _price(event: PaymentEvent, *, known: Catalog | None = None) -> ListedPrice:
    return listed_price(event, signing_key=SIGNING_KEY, catalog=known, link_max_age_s=10**9)


def _record(
    session: Session, event: PaymentEvent, *, known: Catalog | None = None
) -> PurchaseOutcome:
    price = _price(event, known=known)
    return record_purchase(session, event=event, price=price, received_at=NOW)


def _purchases(session: Session) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.type == "purchase")))


def test_a_paid_link_records_one_purchase_and_makes_a_customer(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example", at=NOW - timedelta(days=3))
        token = link(plan_id="team", period="monthly", lead_id=lead_id)
        event = _event(
            session_id="cs_1", amount=Decimal("25.50"), quantity=3, lead_id=lead_id, token=token
        )
        outcome = _record(session, event)
    assert outcome == PurchaseOutcome(
        lead_id=lead_id,
        event_id="purchase:cs_1",
        provider_event_id=event.event_id,
        session_id="cs_1",
        duplicate=False,
        amount=Decimal("25.50"),
        currency="USD",
        plan_id="team",
        period="monthly",
        quantity=3,
        customer_email="buyer@acme.example",
    )
    with unit_of_work(sessions) as session:
        [stored] = _purchases(session)
        assert (stored.lead_id, stored.amount, stored.currency) == (
            lead_id,
            Decimal("25.50"),
            "USD",
        )
        assert (stored.plan, stored.period, stored.occurred_at.replace(tzinfo=NOW.tzinfo)) == (
            "team",
            "monthly",
            NOW,
        )
        assert stored.properties["quantity"] == 3
        assert stored.properties["unit_price"] == "8.50"
        assert stored.properties["price_source"] == "checkout_link"
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == CUSTOMER


def test_a_replayed_payment_is_a_duplicate_stored_once(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example")
        token = link(lead_id=lead_id)
        body = payment_body(session_id="cs_2", lead_id=lead_id, token=token)
    first = parse_payment_event(body)
    assert isinstance(first, PaymentEvent)
    with unit_of_work(sessions) as session:
        assert not _record(session, first).duplicate
    # The very same delivery again, then the session's "async payment succeeded" event.
    again = parse_payment_event(body)
    assert isinstance(again, PaymentEvent)
    later = _event(event_id="evt_other", session_id="cs_2", lead_id=lead_id, token=token)
    with unit_of_work(sessions) as session:
        for event in (again, later):
            replay = _record(session, event)
            assert replay.duplicate
            assert (replay.lead_id, replay.event_id, replay.amount) == (
                lead_id,
                "purchase:cs_2",
                Decimal("8.50"),
            )
            assert replay.provider_event_id == first.event_id  # what the first one stored
    with unit_of_work(sessions) as session:
        assert len(_purchases(session)) == 1


def test_a_replay_is_a_duplicate_even_after_the_price_changed(
    sessions: sessionmaker[Session],
) -> None:
    event = _event(session_id="cs_3", amount=Decimal("8.50"))  # no link: the catalog's price
    with unit_of_work(sessions) as session:
        _record(session, event, known=catalog())
    dearer = ListedPrice("team", "Team", "monthly", Decimal(99), "USD", "catalog")
    with unit_of_work(sessions) as session:
        replay = record_purchase(session, event=event, price=dearer, received_at=NOW)
        assert replay.duplicate
        assert replay.amount == Decimal("8.50")
        assert len(_purchases(session)) == 1
    # A new payment for a plan the catalog no longer lists cannot be checked.
    emptied = Catalog(company="Quillstack", currency="USD", plans=(), addons=())
    with pytest.raises(PaymentEventInvalid, match="cannot be checked"):
        _price(_event(session_id="cs_4"), known=emptied)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"amount": Decimal("8.49")}, r"the amount paid \(\$8.49\) is not the price: 1 × \$8.50"),
        ({"amount": Decimal("8.50"), "quantity": 2}, r"2 × \$8.50 = \$17.00"),
        ({"amount": Decimal("8.50"), "currency": "EUR"}, r"€8.50"),
    ],
)
def test_a_payment_that_is_not_the_price_is_refused_and_nothing_stored(
    sessions: sessionmaker[Session], values: dict[str, object], reason: str
) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example")
        event = _event(lead_id=lead_id, token=link(lead_id=lead_id), **values)
        with pytest.raises(PaymentEventInvalid, match=reason):
            _record(session, event)
    with unit_of_work(sessions) as session:
        assert _purchases(session) == []
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status != CUSTOMER


def test_the_link_decides_the_price_and_must_match_the_plan() -> None:
    token = link(plan_id="studio", period="annual")
    price = _price(_event(plan_id="studio", period="annual", amount=Decimal(490), token=token))
    assert (price.plan_name, price.unit_price, price.source) == (
        "Studio",
        Decimal(490),
        "checkout_link",
    )
    with pytest.raises(PaymentEventInvalid, match=r"is for team \(monthly\) but its checkout link"):
        _price(_event(plan_id="team", period="monthly", token=token))
    with pytest.raises(PaymentEventInvalid, match="checkout link is refused"):
        _price(_event(token=token[:-3] + "abc"))
    with pytest.raises(PaymentEventInvalid, match="checkout link is refused"):
        listed_price(
            _event(token=link(key="another-installation" * 3)),
            signing_key=SIGNING_KEY,
            catalog=None,
            link_max_age_s=TTL_S,
        )


def test_without_a_link_the_catalog_price_is_the_one() -> None:
    price = _price(_event(plan_id="team", period="annual", amount=Decimal(85)), known=catalog())
    assert (price.unit_price, price.currency, price.source) == (Decimal(85), "USD", "catalog")
    with pytest.raises(PaymentEventInvalid, match="no pricing catalog is loaded"):
        _price(_event())
    with pytest.raises(PaymentEventInvalid, match="quoted by sales"):
        _price(_event(plan_id="enterprise"), known=catalog())


def test_a_buyer_known_only_by_email_becomes_a_customer_lead(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        outcome = _record(session, _event(email="New.Buyer@Shop.example"), known=catalog())
        lead = session.get(Lead, outcome.lead_id)
        assert lead is not None
        assert (lead.email, lead.status) == ("new.buyer@shop.example", CUSTOMER)


def test_the_links_lead_buys_even_when_the_email_is_another_leads(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        visitor = make_lead(session)  # anonymous: the link was offered in a chat
        other = make_lead(session, email="shared@acme.example")
        token = link(lead_id=visitor)
        outcome = _record(
            session, _event(lead_id=visitor, token=token, email="shared@acme.example")
        )
        assert outcome.lead_id == visitor
        [stored] = _purchases(session)
        assert stored.lead_id == visitor
        assert stored.properties["customer_email"] == "shared@acme.example"
        assert session.get(Lead, other).status != CUSTOMER  # type: ignore[union-attr]


def test_a_lead_that_is_gone_without_an_email_cannot_buy(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        with pytest.raises(PaymentEventInvalid, match="no longer exists"):
            _record(session, _event(lead_id=999, email=None, token=link(lead_id=999)))
        outcome = _record(
            session, _event(lead_id=999, email="x@y.example", token=link(lead_id=999))
        )
        assert outcome.lead_id != 999


def test_a_checkout_purchase_is_a_positive_label_for_training(
    sessions: sessionmaker[Session],
) -> None:
    first_touch = NOW - timedelta(days=10)
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example", at=first_touch)
        _record(session, _event(lead_id=lead_id, token=link(lead_id=lead_id)))
    with unit_of_work(sessions) as session:
        [record] = load_snapshots(session, lead_ids=[lead_id])
    assert [e.type for e in record.events] == ["page_view", "purchase"]
    # Observed 7 days after the first touch, it bought 3 days later: within a 30-day horizon.
    row = observe_lead(record, horizon_days=30, observe_days=7, now=NOW + timedelta(days=30))
    assert row is not None
    assert (row.lead_id, row.label) == (lead_id, 1)
