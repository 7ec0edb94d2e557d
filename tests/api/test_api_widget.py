"""The chat widget in a real headless Chromium, against `clinch serve` on the demo company."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import create_key
from clinch.settings import Settings
from leads.db import make_engine, make_session_factory, unit_of_work
from leads.reps import upsert_reps
from leads.reps_file import parse_reps
from tests.api.conftest import isolated_settings, link_model_cache
from tests.demo_company import copy_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/run installs Debian's)"),
]
START_TIMEOUT_S = 90.0
REP = "reps:\n  - {name: Rita Reyes, email: rita@q.test, timezone: Europe/Madrid}\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _add_rep(settings: Settings) -> str:
    """Store a rep with a linked rep key in the home's database; return the key."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            upsert_reps(session, reps=parse_reps(REP))
            return create_key(session, name="rita", role="rep", rep_email="rita@q.test").secret
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path
) -> Iterator[tuple[str, str]]:
    """`clinch serve` on a home holding the demo company and a rep; its address and rep key."""
    home = tmp_path_factory.mktemp("widget-home")
    link_model_cache(home)
    settings: Settings = isolated_settings(home)
    copy_demo(demo_template, settings)
    rep_key = _add_rep(settings)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINCH_")}
    env.update({"CLINCH_HOME": str(home), "CLINCH_API_PORT": str(port), "HF_HUB_OFFLINE": "1"})
    log = Path(home) / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "clinch", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"clinch serve did not start:\n{log.read_text()[-3000:]}")
        yield base, rep_key
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(served: tuple[str, str]) -> str:
    """The address of `clinch serve`."""
    return served[0]


def test_a_prospect_chats_through_the_widget(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{server}/demo")
            page.click("#clinch-launcher")
            page.fill("#clinch-input", "How much is the Team plan?")
            page.press("#clinch-input", "Enter")
            answer = page.locator(".clinch-assistant").first
            expect(answer).to_contain_text("$8.50", timeout=30_000)
            checkout = page.locator('.clinch-action[data-kind="checkout"]').first
            assert "/checkout/" in (checkout.get_attribute("href") or "")

            page.fill("#clinch-input", "Does Quillstack support single sign-on with SAML?")
            page.press("#clinch-input", "Enter")
            second = page.locator(".clinch-assistant").nth(1)
            expect(second).to_contain_text("[1]", timeout=30_000)
            link = second.locator(".clinch-cites a").first
            href = link.get_attribute("href") or ""
            assert href.startswith("https://quillstack.example/docs")
            assert page.locator(".clinch-prospect").count() == 2

            # Follow the citation: the company's docs site is not reachable from here, so the
            # browser is answered by a stand-in for it.
            page.context.route(
                "https://quillstack.example/**",
                lambda route: route.fulfill(
                    content_type="text/html", body="<h1>Quillstack docs</h1>"
                ),
            )
            with page.context.expect_page() as opened:
                link.click()
            docs = opened.value
            docs.wait_for_load_state()
            assert docs.url == href
            expect(docs.locator("h1")).to_have_text("Quillstack docs")

            # Start checkout: the signed link opens the checkout page at the catalog's exact price.
            checkout.click()
            page.wait_for_url("**/checkout/**")
            offer = page.locator("body").inner_text()
            assert "Team" in offer
            assert "$8.50" in offer
        finally:
            browser.close()


def test_a_rep_takes_over_and_the_prospect_sees_them_in_the_widget(
    served: tuple[str, str],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, rep_key = served
    rep = {"Authorization": f"Bearer {rep_key}"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/demo")
            page.click("#clinch-launcher")
            page.fill("#clinch-input", "Can I talk to a person?")
            page.press("#clinch-input", "Enter")
            expect(page.locator(".clinch-assistant").first).to_contain_text(
                "Of course", timeout=30_000
            )
            # The request is visible to reps; Rita takes it and writes.
            handoffs = httpx.get(f"{base}/v1/chat/handoffs", headers=rep, timeout=10).json()
            (handoff,) = handoffs
            chat = f"{base}/v1/chat/sessions/{handoff['session_id']}"
            assert httpx.post(f"{chat}/takeover", headers=rep, timeout=10).status_code == 200
            expect(page.locator(".clinch-system").first).to_have_text(
                "Rita Reyes from our team joined the chat", timeout=15_000
            )
            sent = httpx.post(
                f"{chat}/rep-messages", json={"text": "Hi, Rita here!"}, headers=rep, timeout=10
            )
            assert sent.status_code == 201, sent.text
            message = page.locator(".clinch-rep").first
            expect(message).to_contain_text("Hi, Rita here!", timeout=15_000)
            expect(message.locator("b")).to_have_text("Rita Reyes")
            # The prospect writes back: stored for Rita, and the assistant stays quiet.
            answers = page.locator(".clinch-assistant").count()
            page.fill("#clinch-input", "Thanks Rita, quick question about SSO")
            page.press("#clinch-input", "Enter")
            expect(page.locator(".clinch-prospect")).to_have_count(2, timeout=10_000)
            page.wait_for_timeout(1500)
            assert page.locator(".clinch-assistant").count() == answers
            turns = httpx.get(f"{chat}/messages", headers=rep, timeout=10).json()
            assert turns[-1]["role"] == "prospect"
            assert turns[-1]["text"] == "Thanks Rita, quick question about SSO"
        finally:
            browser.close()
