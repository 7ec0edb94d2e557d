"""Handoffs through the real API on the demo company: consent, a rep's takeover, meetings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import create_key
from api.resources import AppResources
from clinch.server import create_api
from clinch.settings import Settings
from leads.db import unit_of_work
from leads.reps import upsert_reps
from leads.reps_file import parse_reps
from tests.api.conftest import bearer, isolated_settings, link_model_cache
from tests.demo_company import copy_demo

pytestmark = pytest.mark.slow  # the demo company is copied in once per module


def _zone_at_noon() -> str:
    """An Etc zone whose clock reads about noon now, so its rep is working whenever this runs."""
    offset = 12 - datetime.now(UTC).hour  # -11 … 12
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("handoff-home")
    link_model_cache(home)
    settings: Settings = isolated_settings(
        home, assistant={"messages_per_session": "60/minute", "sessions_per_address": "60/minute"}
    )
    copy_demo(demo_template, settings)
    with TestClient(create_api(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def staff(api: TestClient) -> dict[str, dict[str, str]]:
    """Two working reps with linked keys, a rep key linked to nobody, and an admin key."""
    every_day = "[mon, tue, wed, thu, fri, sat, sun]"
    document = f"""
reps:
  - {{name: Nora Now, email: nora@q.test, timezone: {_zone_at_noon()},
      working_days: {every_day}, working_hours: "08:00-16:00"}}
  - {{name: Omar Other, email: omar@q.test, timezone: {_zone_at_noon()},
      working_days: {every_day}, working_hours: "08:00-16:00"}}
"""
    resources: AppResources = api.app.state.resources  # type: ignore[attr-defined]
    with unit_of_work(resources.sessions) as session:
        upsert_reps(session, reps=parse_reps(document))
        keys = {
            "nora": create_key(session, name="nora", role="rep", rep_email="nora@q.test"),
            "omar": create_key(session, name="omar", role="rep", rep_email="omar@q.test"),
            "unlinked": create_key(session, name="someone", role="rep"),
            "admin": create_key(session, name="boss", role="admin"),
        }
    return {name: bearer(key.secret) for name, key in keys.items()}


def _start(api: TestClient) -> tuple[str, dict[str, str]]:
    body = api.post("/v1/chat/sessions").json()
    return body["session_id"], bearer(body["token"])


def _say(api: TestClient, sid: str, headers: dict[str, str], text: str) -> dict[str, object]:
    response = api.post(f"/v1/chat/sessions/{sid}/messages", json={"text": text}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


def test_consent_is_asked_and_recorded_by_the_buttons_route(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    sid, headers = _start(api)
    body = _say(api, sid, headers, "Hi, I'm Ana from Acme, ana@acme-consent.io")
    assert body["asked"] == "email_consent"
    assert str(body["answer"]).endswith("May we email you about Quillstack? Reply yes or no.")
    url = f"/v1/chat/sessions/{sid}/consent"
    _error(
        api.post(url, json={"purpose": "Email!", "granted": True}, headers=headers),
        422,
        "invalid_request",
    )
    other, other_headers = _start(api)
    _error(api.post(url, json={"granted": True}, headers=other_headers), 403, "forbidden")
    recorded = api.post(url, json={"purpose": "email", "granted": True}, headers=headers)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["lead_id"] == body["lead_id"]
    lead = api.get(f"/v1/leads/{body['lead_id']}", headers=staff["admin"]).json()
    assert lead["consents"] == {"email": True}
    assert "consent_given" in {e["type"] for e in lead["events"]}
    turns = api.get(f"/v1/chat/sessions/{sid}/messages", headers=headers).json()
    assert "May we email you" in turns[1]["text"]
    assert turns[2]["text"] == "Yes, you may email me."
    assert _say(api, sid, headers, "hello")["asked"] is None
    del other


def test_a_rep_takes_over_the_chat_and_the_prospect_sees_their_messages(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    sid, headers = _start(api)
    asked = _say(api, sid, headers, "Can I talk to a human please?")
    assert "Nora Now" in str(asked["answer"]) or "Omar Other" in str(asked["answer"])
    handoffs = api.get("/v1/chat/handoffs", headers=staff["nora"]).json()
    assert sid in {h["session_id"] for h in handoffs}
    base = f"/v1/chat/sessions/{sid}"
    _error(api.post(f"{base}/takeover", headers=headers), 403, "forbidden")  # the prospect
    _error(api.post(f"{base}/takeover", headers=staff["unlinked"]), 403, "forbidden")
    _error(
        api.post("/v1/chat/sessions/nope/takeover", headers=staff["nora"]),
        404,
        "conversation_not_found",
    )
    _error(
        api.post(f"{base}/rep-messages", json={"text": "hi"}, headers=staff["nora"]),
        409,
        "chat_not_taken_over",
    )
    taken = api.post(f"{base}/takeover", headers=staff["nora"])
    assert taken.status_code == 200, taken.text
    assert taken.json()["rep_name"] == "Nora Now"
    assert sid not in {
        h["session_id"] for h in api.get("/v1/chat/handoffs", headers=staff["nora"]).json()
    }
    _error(api.post(f"{base}/takeover", headers=staff["omar"]), 409, "chat_held_by_another_rep")
    quiet = _say(api, sid, headers, "Great, thanks for joining")
    assert (quiet["answer"], quiet["rep"]) == ("", "Nora Now")
    seen = api.get(f"{base}/messages", headers=headers).json()
    last_id = seen[-1]["id"]
    sent = api.post(
        f"{base}/rep-messages",
        json={"text": "Hi, Nora here. How can I help?"},
        headers=staff["nora"],
    )
    assert sent.status_code == 201, sent.text
    _error(
        api.post(f"{base}/rep-messages", json={"text": "me too"}, headers=staff["omar"]),
        409,
        "chat_held_by_another_rep",
    )
    new = api.get(f"{base}/messages", params={"after": last_id}, headers=headers).json()
    assert [(m["role"], m["text"], m["meta"]["rep_name"]) for m in new] == [
        ("rep", "Hi, Nora here. How can I help?", "Nora Now")
    ]
    roles = [m["role"] for m in api.get(f"{base}/messages", headers=headers).json()]
    assert roles == ["prospect", "assistant", "system", "prospect", "rep"]
    assert seen[2]["text"] == "Nora Now from our team joined the chat"
    _error(api.post(f"{base}/release", headers=staff["omar"]), 409, "chat_held_by_another_rep")
    released = api.post(f"{base}/release", headers=staff["nora"])
    assert released.status_code == 200
    assert released.json()["rep_id"] is None
    _error(api.post(f"{base}/release", headers=staff["nora"]), 409, "chat_not_taken_over")
    assert _say(api, sid, headers, "hello again")["answer"]  # the assistant is back
    # An admin key acts for the rep it names, and must name one.
    _error(api.post(f"{base}/takeover", json={}, headers=staff["admin"]), 422, "rep_required")
    nobody = api.post(f"{base}/takeover", json={"rep_id": 0}, headers=staff["admin"])
    _error(nobody, 404, "rep_not_found")


def test_slots_are_offered_and_a_meeting_is_booked_once(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    sid, headers = _start(api)
    body = _say(
        api, sid, headers, "We're ready to buy the Team plan for 20 people, I'm bea@acme-slots.io"
    )
    actions = body["actions"]
    assert isinstance(actions, list)
    (meeting,) = [a for a in actions if a["kind"] == "book_meeting"]
    slots = meeting["slots"]
    assert slots, meeting
    slot = slots[0]
    assert slot["rep_name"] in {"Nora Now", "Omar Other"}
    assert datetime.fromisoformat(slot["start"]).utcoffset() is not None
    url = f"/v1/chat/sessions/{sid}/meetings"
    booked = api.post(url, json={"rep_id": slot["rep_id"], "start": slot["start"]}, headers=headers)
    assert booked.status_code == 201, booked.text
    assert booked.json()["confirmation"].startswith(
        f"Booked: a 30-minute meeting with {slot['rep_name']}"
    )
    other, other_headers = _start(api)
    again = api.post(
        f"/v1/chat/sessions/{other}/meetings",
        json={"rep_id": slot["rep_id"], "start": slot["start"]},
        headers=other_headers,
    )
    _error(again, 409, "slot_taken")
    odd = slot["start"].replace(":00:00", ":07:00").replace(":30:00", ":37:00")
    _error(
        api.post(url, json={"rep_id": slot["rep_id"], "start": odd}, headers=headers),
        422,
        "not_a_slot",
    )
    naive = slot["start"][:19]
    _error(
        api.post(url, json={"rep_id": slot["rep_id"], "start": naive}, headers=headers),
        422,
        "not_a_slot",
    )
    _error(
        api.post(url, json={"rep_id": 999, "start": slot["start"]}, headers=headers),
        404,
        "rep_not_found",
    )
    lead = api.get(f"/v1/leads/{body['lead_id']}", headers=staff["admin"]).json()
    assert "meeting_booked" in {e["type"] for e in lead["events"]}
    # The booked slot is no longer offered; with no owner, the next offer goes to the rep with
    # fewer upcoming meetings.
    later = _say(api, sid, headers, "We want to buy the Business plan")
    later_actions: list[dict[str, Any]] = later["actions"]  # type: ignore[assignment]
    offered = [(s["rep_id"], s["start"]) for a in later_actions for s in a.get("slots") or []]
    assert offered
    assert (slot["rep_id"], slot["start"]) not in offered
    assert {rep for rep, _ in offered} != {slot["rep_id"]}
