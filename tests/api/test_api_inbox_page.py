"""The rep inbox page in a real headless Chromium, against the real app served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.auth import create_key
from leads.conversations import add_message, start_conversation
from leads.db import unit_of_work
from retrieval.embedder import SentenceEmbedder
from routing.service import route_lead
from tests.api.live_app import (
    NEEDS_CHROMIUM,
    NEEDS_PLAYWRIGHT,
    LiveApp,
    chromium_page,
    home_settings,
    live_app,
)
from tests.routing.factories import add_reps, loaded, make_lead

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM, NEEDS_PLAYWRIGHT]
RULES_TEXT = "segments:\n  - {name: inbox, assign_at: 0.3, nurture: n-inbox}\n"
RULES = loaded(RULES_TEXT)


def _zone_at_noon() -> str:
    """An Etc zone whose clock reads about noon now, so the rep is working whenever this runs."""
    offset = 12 - datetime.now(UTC).hour
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder
) -> Iterator[LiveApp]:
    """The app as `clinch serve` builds it, served by uvicorn on a thread."""
    del embedder  # the shared ONNX export must exist before it is linked
    settings = home_settings(tmp_path_factory, "inbox")
    settings.routing_rules_path.write_text(RULES_TEXT)
    with live_app(settings, name="inbox") as app:
        yield app


def _seed(sessions: sessionmaker[Session]) -> tuple[str, list[int]]:
    """A working rep with room for two leads, three leads (the third queued), and a chat."""
    hours = 'working_days: [mon, tue, wed, thu, fri, sat, sun], working_hours: "08:00-16:00"'
    reps = (
        "reps:\n  - {name: Ivy Inbox, email: ivy@q.test, segments: [inbox], capacity: 2, "
        f"timezone: {_zone_at_noon()}, {hours}}}\n"
    )
    now = datetime.now(UTC)
    leads = []
    with unit_of_work(sessions) as session:
        add_reps(session, reps)
        for name, probability in [("top", 0.9), ("second", 0.5), ("third", 0.7)]:
            lead = make_lead(
                session, email=f"{name}@{name}-co.example", probability=probability, at=now
            )
            route_lead(session, lead_id=lead, rules=RULES, now=now)
            leads.append(lead)
        chat = start_conversation(session, session_id="inbox-page-chat", anonymous_id="v", at=now)
        chat.lead_id, chat.handoff_requested_at = leads[0], now
        add_message(
            session, conversation=chat, role="prospect", text="Can I talk to a person?", at=now
        )
        key = create_key(session, name="ivy", role="rep", rep_email="ivy@q.test").secret
    return key, leads


def test_a_rep_works_their_leads_in_the_inbox(
    served: LiveApp,
) -> None:
    from playwright.sync_api import expect

    base = served.base
    key, (top, second, third) = _seed(served.resources.sessions)
    assert httpx.get(f"{base}/inbox", timeout=10).headers["content-type"].startswith("text/html")
    with chromium_page() as page:
        page.goto(f"{base}/inbox")
        # A wrong key: the API's own words are shown.
        page.fill("#inbox-key", "clk_not-a-real-key-at-all")
        page.click("#inbox-key-form button[type=submit]")
        expect(page.locator("#inbox-error")).to_contain_text("unknown API key")

        page.fill("#inbox-key", key)
        page.click("#inbox-key-form button[type=submit]")
        expect(page.locator("#inbox-rep")).to_have_text("Ivy Inbox")
        expect(page.locator("#inbox-error")).to_be_hidden()
        expect(page.locator("#inbox-key-form")).to_be_hidden()
        cards = page.locator(".inbox-lead")
        expect(cards).to_have_count(2)
        assert [cards.nth(i).get_attribute("data-lead-id") for i in range(2)] == [
            str(top),
            str(second),
        ]
        first = page.locator(f'.inbox-lead[data-lead-id="{top}"]')
        expect(first.locator(".inbox-band")).to_have_text("hot")
        expect(first.locator(".inbox-score")).to_have_text("90% likely to buy")
        expect(first.locator(".inbox-sla")).to_contain_text("left")
        expect(first.locator(".inbox-reasons")).to_contain_text("score 90% ≥ 30% for inbox")
        expect(first.locator(".inbox-excerpt")).to_contain_text("Can I talk to a person?")
        queued = page.locator(f'.inbox-queued[data-lead-id="{third}"]')
        expect(queued).to_contain_text("can take it now")

        first.locator('button[data-action="accept"]').click()
        expect(first).to_have_attribute("data-state", "accepted")
        expect(first.locator(".inbox-state")).to_have_text("accepted")
        expect(first.locator('button[data-action="accept"]')).to_have_count(0)
        expect(first.locator(".inbox-sla")).to_have_text("SLA met")

        # Lost asks why; without a reason the API refuses and the page says why.
        other = page.locator(f'.inbox-lead[data-lead-id="{second}"]')
        other.locator('button[data-action="lost"]').click()
        form = other.locator('.inbox-reason[data-action="lost"]')
        expect(form.locator("textarea")).to_be_visible()
        form.locator("button[type=submit]").click()
        expect(page.locator("#inbox-error")).to_contain_text("a lost lead needs a reason")
        form.locator("textarea").fill("chose a competitor")
        form.locator("button[type=submit]").click()
        # Closing it freed room: the queued lead is offered to Ivy.
        expect(other).to_have_count(0)
        expect(page.locator(f'.inbox-lead[data-lead-id="{third}"]')).to_have_attribute(
            "data-state", "offered"
        )
        expect(page.locator("#inbox-queue")).to_contain_text("Nobody is waiting.")
        expect(page.locator("#inbox-error")).to_be_hidden()

        # The chat that asked for a person: take it over and write in it.
        first.locator(".inbox-takeover").click()
        expect(page.locator("#inbox-chat-log")).to_contain_text("Ivy Inbox from our team joined")
        page.fill("#inbox-chat-input", "Hi, Ivy here.")
        page.press("#inbox-chat-input", "Enter")
        expect(page.locator("#inbox-chat-log")).to_contain_text("Hi, Ivy here.")

        page.locator("#inbox-available").uncheck()
        expect(page.locator("#inbox-notice")).to_contain_text("You are away")
