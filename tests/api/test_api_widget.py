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

from clinch.settings import Settings
from tests.api.conftest import isolated_settings, link_model_cache
from tests.demo_company import copy_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/run installs Debian's)"),
]
START_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[str]:
    """`clinch serve` on a home holding the ingested demo company; stopped after the module."""
    home = tmp_path_factory.mktemp("widget-home")
    link_model_cache(home)
    settings: Settings = isolated_settings(home)
    copy_demo(demo_template, settings)
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
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
            assert "/v1/checkout/" in (checkout.get_attribute("href") or "")

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

            # Start checkout: the signed link shows the plan at the catalog's exact price.
            checkout.click()
            page.wait_for_url("**/v1/checkout/**")
            offer = page.locator("body").inner_text()
            assert '"unit_price":"8.50"' in offer.replace(" ", "")
            assert '"plan_id":"team"' in offer.replace(" ", "")
        finally:
            browser.close()
