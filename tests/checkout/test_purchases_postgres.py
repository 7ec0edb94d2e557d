"""Two deliveries of one payment racing on a real PostgreSQL server store one purchase."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from checkout.payments import PaymentEvent, parse_payment_event
from checkout.purchases import PurchaseOutcome, listed_price, record_purchase
from leads.db import unit_of_work
from leads.models import Event, Lead
from tests.checkout.factories import NOW, SIGNING_KEY, link, make_lead, payment_body

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]


def _record(session: Session, event: PaymentEvent) -> PurchaseOutcome:
    price = listed_price(event, signing_key=SIGNING_KEY, catalog=None, link_max_age_s=10**9)
    return record_purchase(session, event=event, price=price, received_at=NOW)


def test_two_concurrent_deliveries_of_one_payment_store_one_purchase(
    pg_sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(pg_sessions) as session:
        lead_id = make_lead(session, email="race@acme.example", at=NOW - timedelta(days=1))
    event = parse_payment_event(
        payment_body(session_id="cs_race", lead_id=lead_id, token=link(lead_id=lead_id))
    )
    assert isinstance(event, PaymentEvent)
    first = pg_sessions()
    mine = _record(first, event)  # written, not committed: the second delivery must wait
    theirs: list[PurchaseOutcome] = []

    def second() -> None:
        with unit_of_work(pg_sessions) as session:
            theirs.append(_record(session, event))

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the second delivery should wait for the first to commit"
    first.commit()
    first.close()
    racer.join(timeout=10)
    assert not racer.is_alive()
    assert not mine.duplicate
    [replay] = theirs
    assert replay.duplicate
    assert (replay.lead_id, replay.event_id, replay.amount) == (
        lead_id,
        "purchase:cs_race",
        mine.amount,
    )
    with pg_sessions() as session:
        query = select(func.count()).where(Event.type == "purchase", Event.lead_id == lead_id)
        assert session.scalar(query) == 1
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "customer"
