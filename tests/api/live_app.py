"""The real app served over HTTP by uvicorn on a thread, and a headless Chromium to read it."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from api.app import create_app
from api.resources import AppResources
from clinch.server import build_resources
from clinch.settings import Settings
from tests.api.conftest import isolated_settings, link_model_cache

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (.ci/run installs Debian's)"
)
NEEDS_PLAYWRIGHT = pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="needs playwright (a dev extra)"
)
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LiveApp:
    """Where the served app answers, and the resources its lifespan opened."""

    base: str
    resources: AppResources


def home_settings(
    tmp_path_factory: pytest.TempPathFactory, name: str, **values: object
) -> Settings:
    """Return Settings for a fresh home that shares the suite's ONNX export."""
    home = tmp_path_factory.mktemp(f"{name}-home")
    link_model_cache(home)
    return isolated_settings(home, **values)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_app(
    settings: Settings,
    *,
    name: str,
    adapt: Callable[[AppResources], AppResources] = lambda built: built,
) -> Iterator[LiveApp]:
    """Serve the app as `clinch serve` builds it (resources passed through adapt) until exit."""
    import uvicorn

    opened: list[AppResources] = []

    def open_resources() -> AppResources:
        opened.append(adapt(build_resources(settings)))
        return opened[0]

    port = _free_port()
    config = uvicorn.Config(
        create_app(open_resources), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"{name}-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the API did not start")
            time.sleep(0.2)
        yield LiveApp(f"http://127.0.0.1:{port}", opened[0])
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium_page() -> Iterator[Page]:
    """Yield a new page in a headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()
