"""Every error has the `{"error", "detail"}` shape; bad bodies say which field is wrong."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

V1_ROUTES = {
    ("post", "/v1/sessions"),
    ("post", "/v1/search"),
    ("post", "/v1/ingest"),
    ("get", "/v1/ingest/{job_id}"),
    ("post", "/v1/events"),
    ("get", "/v1/leads"),
    ("post", "/v1/chat/sessions"),
    ("post", "/v1/chat/sessions/{session_id}/messages"),
    ("get", "/v1/chat/sessions/{session_id}/messages"),
    ("post", "/v1/chat/sessions/{session_id}/consent"),
    ("post", "/v1/chat/sessions/{session_id}/takeover"),
    ("post", "/v1/chat/sessions/{session_id}/rep-messages"),
    ("post", "/v1/chat/sessions/{session_id}/release"),
    ("post", "/v1/chat/sessions/{session_id}/meetings"),
    ("get", "/v1/chat/handoffs"),
    ("get", "/v1/checkout/{token}"),
    ("post", "/v1/checkout/webhook"),
    ("get", "/v1/nurture/sequences"),
    ("get", "/v1/nurture/sequences/{key}"),
    ("put", "/v1/nurture/sequences/{key}"),
    ("get", "/v1/nurture/sequences/{key}/versions/{version}"),
    ("post", "/v1/nurture/sequences/{key}/pause"),
    ("post", "/v1/nurture/sequences/{key}/resume"),
    ("get", "/v1/nurture/sequences/{key}/funnel"),
    ("get", "/v1/nurture/sequences/{key}/ab"),
    ("get", "/v1/nurture/sequences/{key}/steps/{step_id}/preview"),
    ("post", "/v1/nurture/sequences/{key}/dry-run"),
    ("get", "/v1/nurture/leads"),
    ("get", "/v1/nurture/templates"),
    ("get", "/v1/nurture/templates/{name}"),
    ("put", "/v1/nurture/templates/{name}"),
    ("get", "/v1/leads/{lead_id}"),
    ("get", "/v1/reps/me/leads"),
    ("post", "/v1/reps/me/leads/{lead_id}/accept"),
    ("post", "/v1/reps/me/leads/{lead_id}/reassign"),
    ("post", "/v1/reps/me/leads/{lead_id}/disposition"),
    ("put", "/v1/reps/me/availability"),
    ("get", "/v1/reps/me/queue"),
    ("get", "/v1/reps/me/team"),
    ("get", "/v1/leads/{lead_id}/routing"),
}


def _problems(body: dict[str, object]) -> dict[str, str]:
    detail = body["detail"]
    assert isinstance(detail, list)
    assert detail
    for item in detail:
        assert set(item) == {"field", "problem"}
    return {str(item["field"]): str(item["problem"]) for item in detail}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"query": ""}, "query", "at least 1 character"),
        ({"query": "x" * 2001}, "query", "at most 2000 characters"),
        ({"query": "plans", "k": 0}, "k", "greater than or equal to 1"),
        ({"query": "plans", "k": 101}, "k", "less than or equal to 100"),
        ({"query": "plans", "k": "many"}, "k", "valid integer"),
        ({"query": "plans", "audience": "boss"}, "audience", "'prospect' or 'rep'"),
        ({"query": "plans", "mode": "psychic"}, "mode", "'hybrid', 'dense' or 'sparse'"),
        ({"query": "plans", "top_k": 3}, "top_k", "Extra inputs are not permitted"),
        ({}, "query", "Field required"),
    ],
)
def test_bad_search_body_is_422_per_field(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    body: dict[str, object],
    field: str,
    words: str,
) -> None:
    response = client.post("/v1/search", json=body, headers=auth["rep"])
    assert response.status_code == 422, response.text
    payload = response.json()
    assert set(payload) == {"error", "detail"}
    assert payload["error"] == "invalid_request"
    problems = _problems(payload)
    assert field in problems
    assert words in problems[field]


def test_every_bad_field_is_reported_at_once(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    body = {"query": "", "k": 0, "audience": "boss", "extra": 1}
    response = client.post("/v1/search", json=body, headers=auth["rep"])
    assert response.status_code == 422
    assert set(_problems(response.json())) == {"query", "k", "audience", "extra"}


def test_whitespace_query_is_422_from_the_domain(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    response = client.post("/v1/search", json={"query": "   "}, headers=auth["rep"])
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_query"
    assert "empty" in response.json()["detail"]


def test_body_that_is_not_json_is_422(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    response = client.post(
        "/v1/search",
        content=b"{not json",
        headers={**auth["rep"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "path"),
        ({"path": ""}, "path"),
        ({"path": "/tmp", "visibility": "secret"}, "visibility"),
        ({"path": "/tmp", "force": "perhaps"}, "force"),
        ({"path": "/tmp", "recursive": True}, "recursive"),
    ],
)
def test_bad_ingest_body_is_422_per_field(
    client: TestClient, auth: dict[str, dict[str, str]], body: dict[str, object], field: str
) -> None:
    response = client.post("/v1/ingest", json=body, headers=auth["admin"])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert field in _problems(response.json())


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/search")
    assert response.status_code == 405
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "http_405"
    assert "POST" in response.headers["Allow"]


def test_openapi_lists_every_route(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Clinch"
    listed = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert listed >= V1_ROUTES
    assert ("get", "/healthz") in listed
    assert {path for _, path in listed if path.startswith("/v1")} == {p for _, p in V1_ROUTES}


def test_openapi_documents_both_ways_to_authenticate(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("scheme"), s.get("name")) for s in schemes.values()}
    assert ("http", "bearer", None) in kinds
    assert ("apiKey", None, "X-API-Key") in kinds


def test_docs_serve_html(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_unexpected_errors_keep_the_error_body_shape() -> None:
    """A bug inside a route is a 500 with the usual body, and no internals leak."""
    from fastapi import FastAPI

    from api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "secret" not in response.text
