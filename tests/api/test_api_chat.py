"""The chat routes on the demo company: sessions, answers with citations, transcript, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.auth import ROLES, create_key
from api.resources import AppResources
from clinch.server import create_api
from clinch.settings import Settings
from leads.db import unit_of_work
from tests.api.conftest import bearer, isolated_settings, link_model_cache
from tests.demo_company import copy_demo

pytestmark = pytest.mark.slow  # the demo company is embedded once per module (~30 s)


@pytest.fixture(scope="module")
def chat_settings(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Settings:
    home = tmp_path_factory.mktemp("chat-home")
    link_model_cache(home)
    settings = isolated_settings(
        home, assistant={"messages_per_session": "6/minute", "sessions_per_address": "50/minute"}
    )
    copy_demo(demo_template, settings)
    return settings


@pytest.fixture(scope="module")
def chat(chat_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_api(chat_settings)) as client:
        yield client


@pytest.fixture(scope="module")
def rep_headers(chat: TestClient) -> dict[str, str]:
    resources: AppResources = chat.app.state.resources  # type: ignore[attr-defined]
    with unit_of_work(resources.sessions) as session:
        secrets = {r: create_key(session, name=f"t {r}", role=r).secret for r in ROLES}
    return bearer(secrets["rep"])


def _start(chat: TestClient) -> tuple[str, dict[str, str]]:
    response = chat.post("/v1/chat/sessions")
    assert response.status_code == 201, response.text
    body = response.json()
    return body["session_id"], bearer(body["token"])


def _say(chat: TestClient, sid: str, headers: dict[str, str], text: str) -> dict[str, object]:
    response = chat.post(f"/v1/chat/sessions/{sid}/messages", json={"text": text}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_pricing_question_is_answered_exactly_from_the_catalog(chat: TestClient) -> None:
    sid, headers = _start(chat)
    body = _say(chat, sid, headers, "How much is the Team plan?")
    assert "$8.50" in str(body["answer"])
    assert "$85" in str(body["answer"])
    citations = body["citations"]
    assert isinstance(citations, list)
    assert citations[0]["source"] == "pricing.yaml"
    actions = body["actions"]
    assert isinstance(actions, list)
    (checkout,) = [a for a in actions if a["kind"] == "checkout"]
    assert checkout["plan"] == "team"
    # The offered link is signed and carries the catalog's exact price.
    path = checkout["url"].split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("checkout/")  # the checkout page; its JSON twin is under /v1
    path = f"v1/{path}"
    offer = chat.get(f"/{path}")
    assert offer.status_code == 200, offer.text
    assert (offer.json()["unit_price"], offer.json()["currency"]) == ("8.50", "USD")
    assert offer.json()["lead_id"] == body["lead_id"]
    tampered = chat.get(f"/{path[:-3]}abc")
    assert tampered.status_code == 400
    assert tampered.json()["error"] == "checkout_link_invalid"


def test_a_docs_question_is_answered_with_citations_to_pages(chat: TestClient) -> None:
    sid, headers = _start(chat)
    body = _say(chat, sid, headers, "Does Quillstack support SSO with SAML?")
    assert body["not_covered"] is False
    citations = body["citations"]
    assert isinstance(citations, list)
    assert citations
    assert citations[0]["url"] == "https://quillstack.example/docs/security/sso-saml"
    assert all(c["url"].startswith("https://quillstack.example/") for c in citations)
    assert "[1]" in str(body["answer"])


def test_an_uncovered_question_says_so_and_offers_a_person(chat: TestClient) -> None:
    sid, headers = _start(chat)
    body = _say(chat, sid, headers, "Can Quillstack file my tax return in Lithuania?")
    assert body["not_covered"] is True
    assert body["citations"] == []
    assert [a["kind"] for a in body["actions"]] == ["talk_to_person"]  # type: ignore[attr-defined]


def test_the_transcript_keeps_both_turns_and_the_lead_is_captured(
    chat: TestClient, rep_headers: dict[str, str]
) -> None:
    sid, headers = _start(chat)
    first = _say(chat, sid, headers, "Hi, I'm Ana from Acme, my email is ana@acme-chat.io")
    lead_id = first["lead_id"]
    assert lead_id is not None
    turns = chat.get(f"/v1/chat/sessions/{sid}/messages", headers=headers).json()
    assert [t["role"] for t in turns] == ["prospect", "assistant"]
    lead = chat.get(f"/v1/leads/{lead_id}", headers=rep_headers).json()
    assert lead["email"] == "ana@acme-chat.io"
    assert "chat_message" in {e["type"] for e in lead["events"]}
    as_rep = chat.get(f"/v1/chat/sessions/{sid}/messages", headers=rep_headers)
    assert as_rep.status_code == 200


def test_streaming_sends_tokens_then_the_checked_answer(chat: TestClient) -> None:
    sid, headers = _start(chat)
    response = chat.post(
        f"/v1/chat/sessions/{sid}/messages",
        json={"text": "What does the Business plan include?"},
        headers={**headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block]
    tokens = [json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: token")]
    done = json.loads(events[-1].split("data: ", 1)[1])
    assert events[-1].startswith("event: done")
    assert "".join(tokens) == done["answer"]


def test_bad_requests_get_clear_errors(chat: TestClient) -> None:
    sid, headers = _start(chat)
    other, _ = _start(chat)
    assert chat.post(f"/v1/chat/sessions/{sid}/messages", json={"text": "hi"}).status_code == 401
    wrong = chat.post(f"/v1/chat/sessions/{other}/messages", json={"text": "hi"}, headers=headers)
    assert wrong.status_code == 403
    assert "another chat session" in wrong.json()["detail"]
    empty = chat.post(f"/v1/chat/sessions/{sid}/messages", json={"text": ""}, headers=headers)
    assert empty.status_code == 422
    huge = chat.post(
        f"/v1/chat/sessions/{sid}/messages", json={"text": "x" * 2001}, headers=headers
    )
    assert huge.status_code == 422
    admin_missing = chat.get("/v1/chat/sessions/nope/messages", headers=headers)
    assert admin_missing.status_code == 403  # a token reads only its own session


def test_a_session_over_its_message_limit_is_told_to_wait(chat: TestClient) -> None:
    sid, headers = _start(chat)
    codes = [
        chat.post(
            f"/v1/chat/sessions/{sid}/messages", json={"text": "hello"}, headers=headers
        ).status_code
        for _ in range(7)
    ]
    assert codes[:6] == [200] * 6
    assert codes[6] == 429
    limited = chat.post(f"/v1/chat/sessions/{sid}/messages", json={"text": "hi"}, headers=headers)
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_unknown_session_is_404_for_a_key(chat: TestClient, rep_headers: dict[str, str]) -> None:
    response = chat.get("/v1/chat/sessions/nope/messages", headers=rep_headers)
    assert response.status_code == 404
    assert response.json()["error"] == "conversation_not_found"
