"""A buyer stays a customer while routing sends it to onboarding."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Lead
from routing.service import route_lead
from tests.routing.factories import MONDAY, loaded, make_lead, utc


def test_routing_a_buyer_to_onboarding_keeps_it_a_customer(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        lead_id = make_lead(session, email="buyer@shop.test", probability=0.1)
        ingest_events(
            session,
            batch=[
                EventIn(
                    event_id="bought-1",
                    type="purchase",
                    occurred_at=MONDAY,
                    lead_id=lead_id,
                    amount=Decimal("8.50"),
                    currency="USD",
                    plan="team",
                    period="monthly",
                )
            ],
            received_at=utc(0.1),
        )
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.status = "customer"  # what checkout's record_purchase does
        routed = route_lead(session, lead_id=lead_id, rules=loaded(), now=utc(0.2))
        assert (routed.action, lead.status) == ("nurture", "customer")
        other = make_lead(session, email="browser@shop.test", probability=0.1)
        assert route_lead(session, lead_id=other, rules=loaded(), now=utc(0.3)).action == "nurture"
        assert session.get(Lead, other).status == "nurture"  # type: ignore[union-attr]
