"""Plain factories of the checkout tests: a small catalog, leads and reps, signed payment events."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from checkout.catalog import BillingPeriod, Catalog
from checkout.catalog_yaml import parse_catalog_yaml
from checkout.links import sign_checkout
from checkout.payments import completed_checkout_body, sign_payload, to_minor
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Account, Assignment, Lead, Rep

WEBHOOK_SECRET = "whsec_test_" + "w" * 32
SIGNING_KEY = "k" * 48
# Monday 9 March 2026, 15:00 UTC.
NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
CATALOG_YAML = """
company: Quillstack
currency: USD
limit_labels: {seats: Seats}
plans:
  - {id: team, name: Team, summary: For growing teams, unit: seat,
     price: {monthly: 8.50, annual: 85}, limits: {seats: 50}, features: [Webhooks, SSO-ready]}
  - {id: studio, name: Studio, summary: One flat price, unit: flat,
     price: {monthly: 49, annual: 490}, features: [Everything]}
  - {id: enterprise, name: Enterprise, summary: Talk to us, unit: seat, contact_sales: true}
"""
_ids = count(1)


def catalog() -> Catalog:
    """Return the tests' catalog: Team (per seat), Studio (flat), Enterprise (sales)."""
    return parse_catalog_yaml(CATALOG_YAML, source="test-catalog.yaml")


def make_lead(
    session: Session, *, email: str | None = None, at: datetime = NOW, event_type: str = "page_view"
) -> int:
    """Create a lead through the intake (a page view, by email or anonymously); return its id."""
    result = ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"seed-{next(_ids)}",
                type=event_type,
                occurred_at=at,
                email=email,
                anonymous_id=None if email else f"anon-{next(_ids)}",
            )
        ],
        received_at=at,
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None, result.outcomes[0].reason
    return lead_id


def make_rep(session: Session, *, name: str, email: str, active: bool = True) -> int:
    """Store a rep; return its id."""
    rep = Rep(name=name, email=email, active=active)
    session.add(rep)
    session.flush()
    return rep.id


def own_account(session: Session, *, lead_id: int, rep_id: int) -> None:
    """Make the rep the owner of the lead's account (the lead must have a company email)."""
    lead = session.get(Lead, lead_id)
    assert lead is not None
    assert lead.account_id is not None
    account = session.get(Account, lead.account_id)
    assert account is not None
    account.owner_rep_id = rep_id
    session.flush()


def accepted_assignment(session: Session, *, lead_id: int, rep_id: int, at: datetime) -> None:
    """Record that the rep accepted the lead at this time (closed since)."""
    session.add(
        Assignment(
            lead_id=lead_id,
            rep_id=rep_id,
            state="closed",
            created_at=at,
            accepted_at=at,
            ended_at=at + timedelta(minutes=5),
        )
    )
    session.flush()


def link(
    *,
    plan_id: str = "team",
    period: BillingPeriod = "monthly",
    lead_id: int | None = None,
    key: str = SIGNING_KEY,
) -> str:
    """Return a signed checkout link token for a plan of the tests' catalog."""
    return sign_checkout(key, catalog(), plan_id=plan_id, period=period, lead_id=lead_id)


def aged_link(token: str, *, key: str, age_s: int) -> str:
    """Return the same link as if it had been signed `age_s` seconds ago."""

    class _Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_s

    salt = "clinch-checkout"  # checkout/links.py's salt: the link must verify as one of ours
    body = URLSafeTimedSerializer(key, salt=salt).loads(token)
    return URLSafeTimedSerializer(key, salt=salt, signer=_Earlier).dumps(body)


def payment_body(
    *,
    session_id: str | None = None,
    event_id: str | None = None,
    amount: Decimal = Decimal("8.50"),
    currency: str = "USD",
    email: str | None = "buyer@acme.example",
    plan_id: str = "team",
    period: str = "monthly",
    quantity: int = 1,
    lead_id: int | None = None,
    token: str | None = None,
    created: datetime = NOW,
) -> bytes:
    """Return a `checkout.session.completed` body as the provider would send it."""
    n = next(_ids)
    metadata = {"plan": plan_id, "period": period, "quantity": str(quantity)}
    if lead_id is not None:
        metadata["lead_id"] = str(lead_id)
    if token is not None:
        metadata["checkout_token"] = token
    return completed_checkout_body(
        event_id=event_id or f"evt_test_{n}",
        session_id=session_id or f"cs_test_{n}",
        amount_minor=to_minor(amount, currency),
        currency=currency,
        customer_email=email,
        metadata=metadata,
        created=created,
    )


def signed(body: bytes, *, at: datetime = NOW, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Return the headers a provider posts a body with."""
    return {
        "Stripe-Signature": sign_payload(secret, body, at=at),
        "Content-Type": "application/json",
    }
