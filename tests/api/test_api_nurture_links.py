"""Nurture email links over HTTP: tracked clicks (event, rescoring, a redirect only to the signed
URL), one-click unsubscribe (never on a GET), opens; altered and expired links in words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import httpx
import pytest
from itsdangerous import timed
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.resources import AppResources
from leads.consents import current_consents
from leads.db import unit_of_work
from leads.models import Event, utcnow
from leads.nurture_models import NurtureSend, NurtureStepLog
from nurture.config import NurtureConfig
from nurture.links import click_link, open_link, sign_click, unsubscribe_link
from nurture.sending import claim_send
from retrieval.embedder import SentenceEmbedder
from tests.api.live_app import NEEDS_CHROMIUM, chromium_page, home_settings, live_app
from tests.nurture.factories_mail import add_templates, catalog, make_lead, make_send

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
TARGET = "https://docs.quillstack.test/start?utm_source=nurture"


@dataclass
class Queued:
    """What the app queued after its commits."""

    rescores: list[list[int]] = field(default_factory=list)
    exits: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class Api:
    client: httpx.Client
    base: str
    sessions: sessionmaker[Session]
    config: NurtureConfig
    queued: Queued


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Iterator[Api]:
    """The app as `clinch serve` builds it, served by uvicorn on a thread (queues recorded)."""
    del embedder  # the shared ONNX export must exist before it is linked
    settings = home_settings(tmp_path_factory, "nurture-links", company_name="Quillstack")
    queued = Queued()

    def recording(built: AppResources) -> AppResources:
        return replace(
            built, enqueue_rescore=queued.rescores.append, enqueue_nurture_exits=queued.exits.append
        )

    with (
        live_app(settings, name="nurture-links", adapt=recording) as app,
        httpx.Client(base_url=app.base, follow_redirects=False, timeout=30) as client,
    ):
        resources = app.resources
        yield Api(client, app.base, resources.sessions, resources.nurture, queued)


def _send(api: Api, email: str) -> tuple[int, int]:
    with unit_of_work(api.sessions) as session:
        add_templates(session)
        lead_id = make_lead(session, email=email)
        send_id = make_send(session, lead_id=lead_id)
        row = session.get(NurtureSend, send_id)
        assert row is not None
        row.to_email = email
    return lead_id, send_id


def _events(api: Api, lead_id: int, kind: str) -> list[Event]:
    with api.sessions() as session:
        query = select(Event).where(Event.lead_id == lead_id, Event.type == kind)
        return list(session.scalars(query))


def _kinds(api: Api, send_id: int) -> list[str]:
    with api.sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        query = select(NurtureStepLog.kind).where(NurtureStepLog.enrollment_id == row.enrollment_id)
        return list(session.scalars(query))


def _local(url: str) -> str:
    """Return the path of one of the app's own absolute URLs."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_click_is_stored_once_rescored_and_redirected_to_the_signed_url_only(api: Api) -> None:
    lead_id, send_id = _send(api, "click@acme.test")
    link = _local(click_link(api.config, send_id=send_id, url=TARGET))
    first = api.client.get(link, headers=BROWSER)
    assert (first.status_code, first.headers["location"]) == (302, TARGET)
    again = api.client.get(f"{link}?next=https://evil.test/", headers=BROWSER)
    assert (again.status_code, again.headers["location"]) == (302, TARGET)
    (clicked,) = _events(api, lead_id, "email_clicked")
    assert clicked.properties["url"] == TARGET
    assert clicked.properties["send_id"] == send_id
    assert [lead_id] in api.queued.rescores
    assert api.queued.rescores.count([lead_id]) == 1  # the replay stored nothing new
    with api.sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        assert row.clicked_at is not None
    assert _kinds(api, send_id) == ["clicked"]


def test_an_altered_link_is_a_400_and_an_expired_one_a_410_in_words_or_json(api: Api) -> None:
    _lead_id, send_id = _send(api, "bad@acme.test")
    token = sign_click(api.config.signing_key, send_id=send_id, url=TARGET)
    altered = f"/n/c/{token[:-3]}xyz"
    page = api.client.get(altered, headers=BROWSER)
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in page.text
    assert "Traceback" not in page.text
    as_json = api.client.get(altered, headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "nurture_link_invalid"
    with pytest.MonkeyPatch.context() as mp:  # a token signed long ago
        old = time.time() - api.config.link_ttl_s - 60
        mp.setattr(timed, "time", SimpleNamespace(time=lambda: old))
        expired = sign_click(api.config.signing_key, send_id=send_id, url=TARGET)
        unsubscribe = unsubscribe_link(api.config, send_id=send_id)
    gone = api.client.get(f"/n/c/{expired}", headers=BROWSER)
    assert gone.status_code == 410
    assert "This link has expired" in gone.text
    assert f'href="{TARGET.replace("&", "&amp;")}"' in gone.text  # shown, not followed
    assert api.client.get(f"/n/c/{expired}").json()["error"] == "nurture_link_expired"
    late = api.client.post(_local(unsubscribe), headers=BROWSER)
    assert late.status_code == 410
    assert "unsubscribe link in a more recent email" in late.text


def test_one_click_unsubscribe_withdraws_consent_once_and_ends_the_enrollments(api: Api) -> None:
    lead_id, send_id = _send(api, "leave@acme.test")
    link = _local(unsubscribe_link(api.config, send_id=send_id))
    page = api.client.get(link, headers=BROWSER)
    assert page.status_code == 200
    assert "<button" in page.text
    assert "l••••@acme.test" in page.text
    assert _events(api, lead_id, "unsubscribe") == []  # a GET changes nothing
    body = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # the provider's one-click POST, then the reader's button
        done = api.client.post(link, content=b"List-Unsubscribe=One-Click", headers=body)
        assert done.status_code == 200
        assert "You are unsubscribed" in done.text
    assert len(_events(api, lead_id, "unsubscribe")) == 1
    assert api.queued.exits.count([lead_id]) == 2  # harmless twice: exits are idempotent
    with unit_of_work(api.sessions) as session:
        assert current_consents(session, lead_id=lead_id)["marketing"] is False
        # The next send of the sequence is suppressed at its claim: nothing goes out.
        later = make_send(session, lead_id=lead_id, step_id="later")
        claim = claim_send(
            session, send_id=later, now=utcnow(), lease_s=60, config=api.config, catalog=catalog()
        )
        assert claim is None
        row = session.get(NurtureSend, later)
        assert row is not None
        assert (row.status, row.last_error) == (
            "suppressed",
            "the lead unsubscribed (nurture unsubscribe link)",
        )


def test_an_open_returns_a_pixel_and_is_stored_once(api: Api) -> None:
    lead_id, send_id = _send(api, "open@acme.test")
    link = _local(open_link(api.config, send_id=send_id))
    for _ in range(2):
        image = api.client.get(link)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/gif"
        assert image.content.startswith(b"GIF89a")
    assert len(_events(api, lead_id, "email_opened")) == 1
    with api.sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        assert row.opened_at is not None


@pytest.mark.slow
@NEEDS_CHROMIUM
def test_a_reader_in_a_browser_follows_a_link_and_unsubscribes_with_the_button(api: Api) -> None:
    from playwright.sync_api import expect

    lead_id, send_id = _send(api, "reader@acme.test")
    target = f"{api.base}/inbox"  # a page the app serves, so the browser lands somewhere real
    click = _local(click_link(api.config, send_id=send_id, url=target))
    unsubscribe = _local(unsubscribe_link(api.config, send_id=send_id))
    with chromium_page() as page:
        page.goto(f"{api.base}{click}")
        assert page.url == target
        page.goto(f"{api.base}{unsubscribe}")
        expect(page.locator("h1")).to_have_text("Unsubscribe from Quillstack")
        assert _events(api, lead_id, "unsubscribe") == []
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("You are unsubscribed")
        expect(page.locator("body")).to_contain_text("r•••••@acme.test")
        page.goto(f"{api.base}/n/u/not-a-real-token")
        expect(page.locator("h1")).to_have_text("This link is not valid")
    assert len(_events(api, lead_id, "email_clicked")) == 1
    assert len(_events(api, lead_id, "unsubscribe")) == 1
