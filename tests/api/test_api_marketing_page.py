"""The marketer's pages in a real headless Chromium, against the real app served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.auth import create_key
from leads.db import unit_of_work
from leads.models import utcnow
from retrieval.embedder import SentenceEmbedder
from tests.api.live_app import (
    NEEDS_CHROMIUM,
    NEEDS_PLAYWRIGHT,
    LiveApp,
    chromium_page,
    home_settings,
    live_app,
)
from tests.nurture.factories_stats import add_templates, enroll, log, prospect, save, split_arm

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM, NEEDS_PLAYWRIGHT]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder
) -> Iterator[LiveApp]:
    """The app as `clinch serve` builds it, served by uvicorn on a thread."""
    del embedder  # the shared ONNX export must exist before it is linked
    with live_app(home_settings(tmp_path_factory, "marketing"), name="marketing") as app:
        yield app


def _seed(sessions: sessionmaker[Session]) -> tuple[str, list[int]]:
    """The A/B sequence with a decided test, a lead waiting, three prospects; a marketer's key."""
    now = utcnow() - timedelta(minutes=1)
    with unit_of_work(sessions) as session:
        add_templates(session)
        sequence_id = save(session, at=now)
        split_arm(
            session, sequence_id=sequence_id, variant="A", leads=200, clicked=40, converted=20
        )
        split_arm(
            session, sequence_id=sequence_id, variant="B", leads=200, clicked=80, converted=45
        )
        waiting = enroll(session, sequence_id=sequence_id, step_id="pause")
        log(session, waiting, ("welcome", "entered"), ("pause", "entered"))
        leads = [
            prospect(session, email=f"page{i}@preview.example", name=f"Pia{i} Page", at=now)
            for i in range(3)
        ]
        key = create_key(session, name="mia", role="marketer").secret
    return key, leads


def test_a_marketer_reads_a_sequence_previews_an_email_and_runs_a_dry_run(
    served: LiveApp,
) -> None:
    from playwright.sync_api import expect

    base = served.base
    key, leads = _seed(served.resources.sessions)
    for path in ("/marketing", "/marketing/sequences/ab"):
        page_type = httpx.get(f"{base}{path}", timeout=10).headers["content-type"]
        assert page_type.startswith("text/html")
    with chromium_page() as page:
        page.goto(f"{base}/marketing")
        page.fill("#mk-key", "clk_not-a-real-key-at-all")
        page.click("#mk-key-form button[type=submit]")
        expect(page.locator("#mk-error")).to_contain_text("unknown API key")

        page.fill("#mk-key", key)
        page.click("#mk-key-form button[type=submit]")
        row = page.locator('.mk-sequence[data-key="ab"]')
        expect(row).to_contain_text("A/B offers")
        expect(row.locator(".mk-state")).to_have_text("active")
        expect(row.locator(".mk-active")).to_have_text("1")
        expect(row.locator(".mk-converted")).to_have_text("65 (16.2%)")
        expect(page.locator("#mk-error")).to_be_hidden()

        row.locator("a.mk-open").click()
        expect(page).to_have_url(f"{base}/marketing/sequences/ab")
        expect(page.locator("#mk-title")).to_have_text("A/B offers")
        expect(page.locator("#mk-steps li")).to_have_count(6)
        expect(page.locator('#mk-steps li[data-step="offer-test"]')).to_contain_text(
            "A/B split: A 50% → offer-a, B 50% → offer-b"
        )
        offer_a = page.locator('.mk-funnel-row[data-step="offer-a"]')
        expect(offer_a.locator(".mk-entered")).to_have_text("200")
        expect(offer_a.locator(".mk-sent")).to_have_text("200")
        expect(offer_a.locator(".mk-clicked")).to_have_text("40 (20%)")
        pause = page.locator('.mk-funnel-row[data-step="pause"]')
        expect(pause.locator(".mk-waiting")).to_have_text("1")
        split = page.locator('.mk-split[data-step="offer-test"]')
        expect(split).to_have_attribute("data-outcome", "winner")
        expect(split.locator(".mk-verdict")).to_have_text("winner: B")
        expect(split.locator('.mk-arm[data-variant="B"]')).to_contain_text("22.5%")
        expect(page.locator("#mk-ab-rule")).to_contain_text("at least 100 leads")

        # Preview: find a lead by email, see the email as they would get it.
        page.fill("#mk-lead-search", "page1@")
        choice = page.locator(f'.mk-lead[data-lead-id="{leads[1]}"]')
        expect(choice).to_contain_text("page1@preview.example")
        choice.click()
        expect(page.locator("#mk-preview-subject")).to_have_text("welcome for Pia1")
        expect(page.locator("#mk-preview-to")).to_have_text("page1@preview.example")
        expect(page.locator("#mk-preview-text")).to_contain_text("Hello Pia1")
        frame = page.frame_locator("#mk-preview-html")
        expect(frame.locator("p")).to_contain_text("Hello Pia1, this is welcome.")
        assert page.locator("#mk-preview-html").get_attribute("sandbox") == ""
        page.select_option("#mk-preview-step", "offer-b")
        expect(page.locator("#mk-preview-subject")).to_have_text("offer-b for Pia1")

        # A dry-run of the three prospects: nothing is sent, the page shows what would be.
        page.fill("#mk-dry-leads", ", ".join(map(str, leads)))
        page.fill("#mk-dry-days", "10")
        page.click("#mk-dry-form button[type=submit]")
        expect(page.locator("#mk-dry-summary")).to_contain_text(
            "3 leads over 10 days on v1: 6 emails; 3 completed"
        )
        dry_split = page.locator('.mk-dry-row[data-step="offer-test"]')
        expect(dry_split.locator(".mk-dry-entered")).to_have_text("3")
        welcome = page.locator('.mk-dry-row[data-step="welcome"]')
        expect(welcome.locator(".mk-dry-sent")).to_have_text("3")
        expect(page.locator(".mk-path")).to_have_count(3)
        expect(page.locator(".mk-day")).to_have_count(10)
        # Bad input: the API's own words.
        page.fill("#mk-dry-leads", "999999")
        page.click("#mk-dry-form button[type=submit]")
        expect(page.locator("#mk-error")).to_contain_text("no lead has id 999999")

        page.click("#mk-toggle")
        expect(page.locator("#mk-status")).to_have_text("paused")
        expect(page.locator("#mk-toggle")).to_have_text("Resume")
        page.goto(f"{base}/marketing")
        expect(page.locator('.mk-sequence[data-key="ab"] .mk-state')).to_have_text("paused")
