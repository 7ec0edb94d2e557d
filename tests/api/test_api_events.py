"""POST /v1/events and GET /v1/leads/{id}: roles, envelope checks, per-event results."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.resources import AppResources
from clinch.settings import Settings
from leads.db import unit_of_work
from leads.scores import add_score


def _at(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) - timedelta(minutes=1) + delta).isoformat()


def _event(event_id: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": "page_view",
        "occurred_at": _at(),
        "anonymous_id": f"anon-{event_id}",
    }
    event.update(fields)
    return event


def _post(client: TestClient, headers: dict[str, str], *events: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/events", json={"events": list(events)}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_events_need_a_key(client: TestClient) -> None:
    response = client.post("/v1/events", json={"events": [_event("no-key")]})
    assert response.status_code == 401
    assert response.json()["error"] == "missing_credentials"


@pytest.mark.parametrize("role", ["rep", "marketer"])
def test_only_site_and_admin_keys_send_events(
    client: TestClient, auth: dict[str, dict[str, str]], role: str
) -> None:
    response = client.post("/v1/events", json={"events": [_event(f"r-{role}")]}, headers=auth[role])
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_session_token_cannot_send_events(client: TestClient) -> None:
    token = client.post("/v1/sessions").json()["token"]
    response = client.post(
        "/v1/events",
        json={"events": [_event("s-1")]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["site", "admin"])
def test_site_and_admin_keys_send_events(
    client: TestClient, auth: dict[str, dict[str, str]], role: str
) -> None:
    body = _post(client, auth[role], _event(f"ok-{role}"))
    assert body["accepted"] == 1
    assert body["results"][0]["status"] == "accepted"
    assert isinstance(body["results"][0]["lead_id"], int)


@pytest.mark.parametrize("count", [0, 501])
def test_a_batch_holds_1_to_500_events(
    client: TestClient, auth: dict[str, dict[str, str]], count: int
) -> None:
    events = [_event(f"n-{count}-{i}") for i in range(count)]
    response = client.post("/v1/events", json={"events": events}, headers=auth["site"])
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["detail"][0]["field"] == "events"


@pytest.mark.parametrize(
    "body", [{}, {"events": "nope"}, {"events": [], "extra": 1}, {"events": [1]}]
)
def test_a_malformed_envelope_is_422(
    client: TestClient, auth: dict[str, dict[str, str]], body: dict[str, Any]
) -> None:
    response = client.post("/v1/events", json=body, headers=auth["site"])
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_each_event_gets_its_own_result(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    body = _post(
        client,
        auth["site"],
        _event("m-1", email="Mia@Example.com", utm_source="google", utm_medium="cpc"),
        _event("m-1", email="mia@example.com"),
        _event("m-2", type="teleport"),
        _event("m-3", occurred_at="yesterday-ish"),
        _event("m-4", occurred_at=_at(timedelta(hours=1))),
        {"event_id": "m-5", "type": "page_view", "occurred_at": _at()},
        _event("m-6", type="purchase"),
        _event("m-7", properties={"blob": "x" * 17_000}),
        _event("m-8", lead_id=987_654),
        _event("m-9", type="purchase", amount="49.00", currency="USD", plan="pro", period="month"),
        {"type": "page_view"},
    )
    results = body["results"]
    assert [r.get("event_id") for r in results] == [
        "m-1", "m-1", "m-2", "m-3", "m-4", "m-5", "m-6", "m-7", "m-8", "m-9", None,
    ]  # fmt: skip
    assert [r["status"] for r in results] == [
        "accepted", "duplicate", "rejected", "rejected", "rejected", "rejected",
        "rejected", "rejected", "rejected", "accepted", "rejected",
    ]  # fmt: skip
    codes = [r["reason"].split(":")[0] for r in results if r["status"] == "rejected"]
    assert codes == [
        "unknown_type",
        "invalid_field",
        "bad_timestamp",
        "missing_identity",
        "purchase_incomplete",
        "oversize_properties",
        "unknown_lead",
        "invalid_field",
    ]
    assert "occurred_at" in results[3]["reason"]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 8)
    assert results[1]["lead_id"] == results[0]["lead_id"]
    assert "reason" not in results[0]
    assert "lead_id" not in results[2]
    assert results[-1]["event_id"] is None


def test_sending_a_batch_again_is_all_duplicates(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    events = [_event("d-1", email="dup@example.com"), _event("d-2", email="dup@example.com")]
    first = _post(client, auth["site"], *events)
    again = _post(client, auth["site"], *events)
    assert first["accepted"] == 2
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 0)
    assert [r["lead_id"] for r in again["results"]] == [r["lead_id"] for r in first["results"]]


def test_get_lead(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    body = _post(
        client,
        auth["site"],
        _event("g-1", anonymous_id="anon-g", referrer="https://duckduckgo.com/"),
        _event("g-2", type="identify", anonymous_id="anon-g", email="Gus@Example.com",
               properties={"name": "Gus", "company": "Acme"}),
    )  # fmt: skip
    lead_id = body["results"][1]["lead_id"]
    assert body["results"][0]["lead_id"] == lead_id
    for role in ("admin", "rep", "marketer"):
        response = client.get(f"/v1/leads/{lead_id}", headers=auth[role])
        assert response.status_code == 200, response.text
    lead = response.json()
    assert (lead["id"], lead["email"], lead["name"], lead["company"]) == (
        lead_id,
        "gus@example.com",
        "Gus",
        "Acme",
    )
    assert {(i["kind"], i["value"]) for i in lead["identities"]} == {
        ("anonymous_id", "anon-g"),
        ("email", "gus@example.com"),
    }
    assert lead["first_touch"]["channel"] == "organic_search"
    assert lead["score"] is None
    assert [e["event_id"] for e in lead["events"]] == ["g-2", "g-1"]


def test_get_lead_roles_and_404(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    assert client.get("/v1/leads/1", headers=auth["site"]).status_code == 403
    assert client.get("/v1/leads/1").status_code == 401
    response = client.get("/v1/leads/99999999", headers=auth["rep"])
    assert response.status_code == 404
    assert response.json() == {"error": "lead_not_found", "detail": "no lead has id 99999999"}
    assert client.get("/v1/leads/abc", headers=auth["rep"]).status_code == 422


def test_the_openapi_schema_documents_events(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/v1/events"]["post"]
    assert post["summary"].endswith("(site, admin)")
    assert "/v1/leads/{lead_id}" in schema["paths"]


def _queued_rescorings(settings: Settings) -> int:
    with sqlite3.connect(settings.resolved_home / "broker.sqlite") as db:
        rows = db.execute("SELECT payload FROM kombu_message").fetchall()
    return sum("scoring.rescore_leads" in str(payload) for (payload,) in rows)


def test_accepted_events_queue_one_rescoring_after_commit(
    client: TestClient, auth: dict[str, dict[str, str]], api_settings: Settings
) -> None:
    before = _queued_rescorings(api_settings)
    _post(
        client,
        auth["site"],
        _event("rescore-1", email="r1@example.com"),
        _event("rescore-2", email="r1@example.com"),
    )
    assert _queued_rescorings(api_settings) == before + 1
    # A batch of duplicates touches no lead, so nothing is queued.
    _post(client, auth["site"], _event("rescore-1", email="r1@example.com"))
    assert _queued_rescorings(api_settings) == before + 1


def _store_score(resources: AppResources, lead_id: int, p: float, band: str) -> None:
    with unit_of_work(resources.sessions) as session:
        add_score(
            session,
            lead_id=lead_id,
            probability=p,
            band=band,
            model_version="v0009-test",
            features_version="lead-features-1",
            reasons=[{"text": "Viewed pricing 4 times in the last 7 days: +9 pts"}],
            scored_at=datetime.now(UTC),
            events_seen=1,
        )


def test_the_lead_list_is_by_newest_score_and_filters_by_band(
    client: TestClient, auth: dict[str, dict[str, str]], resources: AppResources
) -> None:
    body = _post(
        client,
        auth["site"],
        _event("list-1", email="hot@acme-list.io"),
        _event("list-2", email="cold@acme-list.io"),
    )
    hot_id, cold_id = (r["lead_id"] for r in body["results"])
    _store_score(resources, hot_id, 0.2, "warm")
    _store_score(resources, hot_id, 0.91, "hot")  # newest wins
    _store_score(resources, cold_id, 0.004, "cold")

    everyone = client.get("/v1/leads", params={"limit": 500}, headers=auth["rep"]).json()
    ours = [row for row in everyone if row["lead_id"] in {hot_id, cold_id}]
    assert [row["lead_id"] for row in ours] == [hot_id, cold_id]
    assert ours[0]["summary"] == "91% likely to buy"
    assert ours[1]["summary"] == "<1% likely to buy"
    assert ours[0]["reasons"] == ["Viewed pricing 4 times in the last 7 days: +9 pts"]
    hot = client.get("/v1/leads", params={"band": "hot"}, headers=auth["marketer"]).json()
    assert hot_id in {row["lead_id"] for row in hot}
    assert cold_id not in {row["lead_id"] for row in hot}
    one = client.get(f"/v1/leads/{hot_id}", headers=auth["rep"]).json()
    assert one["score"]["summary"] == "91% likely to buy"
    assert one["account"]["domain"] == "acme-list.io"
    assert one["account"]["leads"] == 2


def test_the_lead_list_refuses_bad_queries(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    assert client.get("/v1/leads", headers=auth["site"]).status_code == 403
    bad_band = client.get("/v1/leads", params={"band": "lukewarm"}, headers=auth["rep"])
    assert bad_band.status_code == 422
    assert client.get("/v1/leads", params={"limit": 0}, headers=auth["rep"]).status_code == 422
