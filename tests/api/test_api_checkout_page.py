"""The checkout page in a real headless Chromium, against the real app served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.models import Event, Lead, Notification, utcnow
from retrieval.embedder import SentenceEmbedder
from tests.api.live_app import (
    NEEDS_CHROMIUM,
    NEEDS_PLAYWRIGHT,
    LiveApp,
    chromium_page,
    home_settings,
    live_app,
)
from tests.checkout.factories import aged_link, link, make_lead, make_rep, own_account

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM, NEEDS_PLAYWRIGHT]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder
) -> Iterator[LiveApp]:
    """The app as `clinch serve` builds it, served by uvicorn on a thread."""
    del embedder  # the shared ONNX export must exist before it is linked
    with live_app(home_settings(tmp_path_factory, "checkout"), name="checkout") as app:
        yield app


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A lead at a company whose account a rep owns: the lead's and the rep's ids."""
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="grace@hopper.example", at=utcnow() - timedelta(days=4))
        rep_id = make_rep(session, name="Rita Rep", email="rita@q.test")
        own_account(session, lead_id=lead_id, rep_id=rep_id)
    return lead_id, rep_id


def test_a_prospect_pays_a_checkout_link_and_gets_a_receipt(
    served: LiveApp,
) -> None:
    from playwright.sync_api import expect

    base, resources = served.base, served.resources
    lead_id, _ = _seed(resources.sessions)
    token = link(key=resources.signing_key, plan_id="team", period="monthly", lead_id=lead_id)
    expired = aged_link(token, key=resources.signing_key, age_s=resources.checkout_ttl_s + 60)
    assert httpx.get(f"{base}/checkout/{token}", timeout=10).status_code == 200
    with chromium_page() as page:
        response = page.goto(f"{base}/checkout/{expired}")
        assert response is not None
        assert response.status == 410
        expect(page.locator("#checkout-title")).to_have_text("This checkout link has expired")
        expect(page.locator("#checkout-problem-next")).to_contain_text("a new checkout link")

        page.goto(f"{base}/checkout/{token}")
        expect(page.locator("#checkout-plan")).to_have_text("Team")
        expect(page.locator("#checkout-period")).to_have_text("Billed monthly")
        expect(page.locator("#checkout-unit-price")).to_have_text("$8.50 per seat per month")
        expect(page.locator("#checkout-email")).to_have_value("grace@hopper.example")
        expect(page.locator("#checkout-total")).to_have_text("$8.50")
        expect(page.locator("#checkout-demo-note")).to_contain_text("nothing is charged")
        # The total follows the seats, exactly (3 × $8.50), before anything is sent.
        page.fill("#checkout-quantity", "3")
        expect(page.locator("#checkout-total")).to_have_text("$25.50")
        expect(page.locator("#checkout-pay")).to_have_text("Pay $25.50")

        page.click("#checkout-pay")
        expect(page.locator("#checkout-title")).to_have_text("Payment received")
        expect(page.locator("#receipt-plan")).to_have_text("Team")
        expect(page.locator("#receipt-quantity")).to_have_text("3")
        expect(page.locator("#receipt-total")).to_have_text("$25.50")
        expect(page.locator("#receipt-email")).to_have_text("grace@hopper.example")
        expect(page.locator("#receipt-reference")).to_contain_text("cs_demo_")
        expect(page.locator("#checkout-receipt")).to_contain_text("account manager")
        expect(page.locator("#checkout-demo-note")).to_contain_text("no card was charged")

        page.reload()  # the browser sends the form again: the same payment, not a second
        expect(page.locator("#checkout-title")).to_have_text("Already paid")
        expect(page.locator("#receipt-total")).to_have_text("$25.50")

    with unit_of_work(resources.sessions) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "customer"
        purchases = list(
            session.scalars(select(Event).where(Event.lead_id == lead_id, Event.type == "purchase"))
        )
        assert [(e.amount, e.currency, e.plan, e.period) for e in purchases] == [
            (Decimal("25.5"), "USD", "team", "monthly")
        ]
        notices = list(session.scalars(select(Notification).where(Notification.lead_id == lead_id)))
        assert [(n.event, n.channel, n.target) for n in notices] == [
            ("lead.purchased", "email", "rita@q.test")
        ]
        assert notices[0].payload["purchase"]["total"] == "$25.50"
