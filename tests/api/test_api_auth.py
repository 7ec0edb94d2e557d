"""Who may call what: API keys with roles, session tokens, and the 401/403 bodies."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from api.auth import (
    _SESSION_SALT,
    InvalidCredentials,
    create_key,
    issue_session_token,
    verify_session_token,
)
from api.resources import AppResources
from leads import api_keys as keys_repo
from leads.db import unit_of_work

SEARCH = {"query": "pricing", "audience": "prospect", "k": 3}
INGEST = {"path": "/definitely/not/here"}


class Response(Protocol):
    """What these tests read from a TestClient response."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _assert_error(response: Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return str(body["detail"])


def _assert_unauthorized(response: Response, error: str = "invalid_credentials") -> str:
    detail = _assert_error(response, 401, error)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    return detail


def _expired_token(signing_key: str, *, age_s: int) -> str:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_s

    serializer = URLSafeTimedSerializer(signing_key, salt=_SESSION_SALT, signer=PastSigner)
    return str(serializer.dumps({"sid": "long-ago"}))


def _session_token(client: TestClient) -> str:
    response = client.post("/v1/sessions")
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def test_healthz_is_public(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["vector_backend"] == "qdrant-edge"
    assert isinstance(body["chunks"], int)
    assert isinstance(body["documents"], int)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/search", SEARCH),
        ("POST", "/v1/ingest", INGEST),
        ("GET", "/v1/ingest/some-job", None),
    ],
)
def test_no_credentials_is_401_with_a_hint(
    client: TestClient, method: str, url: str, body: dict[str, object] | None
) -> None:
    response = client.request(method, url, json=body)
    detail = _assert_unauthorized(response, "missing_credentials")
    assert "X-API-Key" in detail
    assert "/v1/sessions" in detail


def test_a_non_bearer_authorization_header_counts_as_missing(client: TestClient) -> None:
    response = client.post("/v1/search", json=SEARCH, headers={"Authorization": "Basic YTpi"})
    _assert_unauthorized(response, "missing_credentials")


def test_unknown_key_is_401(client: TestClient) -> None:
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(f"clk_{'A' * 43}"))
    assert "unknown API key" in _assert_unauthorized(response)


def test_key_with_a_known_prefix_but_wrong_secret_is_401(
    client: TestClient, keys: dict[str, str]
) -> None:
    forged = keys["admin"][:16] + secrets.token_urlsafe(32)
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(forged))
    assert "unknown API key" in _assert_unauthorized(response)


def test_malformed_key_is_401(client: TestClient) -> None:
    response = client.post("/v1/search", json=SEARCH, headers={"X-API-Key": "clk_short"})
    assert "clk_" in _assert_unauthorized(response)


def test_garbage_that_is_neither_key_nor_token_is_401(client: TestClient) -> None:
    response = client.post("/v1/search", json=SEARCH, headers=_bearer("not-a-token"))
    assert "session token" in _assert_unauthorized(response)


def test_revoked_key_is_401(client: TestClient, resources: AppResources) -> None:
    with unit_of_work(resources.sessions) as session:
        key = create_key(session, name="leaver", role="rep")
    assert client.post("/v1/search", json=SEARCH, headers=_bearer(key.secret)).status_code == 200
    with unit_of_work(resources.sessions) as session:
        row = keys_repo.get_key(session, key.id)
        assert row is not None
        keys_repo.revoke(session, row)
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(key.secret))
    assert "revoked" in _assert_unauthorized(response)


def test_x_api_key_header_is_accepted(client: TestClient, keys: dict[str, str]) -> None:
    response = client.post("/v1/search", json=SEARCH, headers={"X-API-Key": keys["rep"]})
    assert response.status_code == 200, response.text


def test_key_use_is_recorded(
    client: TestClient, resources: AppResources, keys: dict[str, str]
) -> None:
    secret = keys["marketer"]
    with unit_of_work(resources.sessions) as session:
        row = keys_repo.find_by_prefix(session, secret.removeprefix("clk_")[:12])
        assert row is not None
        before = row.last_used_at
    client.post("/v1/search", json=SEARCH, headers=_bearer(secret))
    with unit_of_work(resources.sessions) as session:
        row = keys_repo.find_by_prefix(session, secret.removeprefix("clk_")[:12])
        assert row is not None
        assert row.last_used_at is not None
        assert before is None or row.last_used_at > before


@pytest.mark.parametrize("role", ["admin", "rep", "marketer", "site"])
def test_every_role_may_search_for_prospects(
    client: TestClient, auth: dict[str, dict[str, str]], role: str
) -> None:
    response = client.post("/v1/search", json=SEARCH, headers=auth[role])
    assert response.status_code == 200, response.text
    assert response.json()["audience"] == "prospect"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("rep", True),
        ("marketer", False),
        ("site", False),
    ],
)
def test_rep_audience_is_for_admin_and_rep_keys_only(
    client: TestClient, auth: dict[str, dict[str, str]], role: str, allowed: bool
) -> None:
    response = client.post("/v1/search", json={**SEARCH, "audience": "rep"}, headers=auth[role])
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert "rep audience" in _assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("role", ["rep", "marketer", "site"])
def test_ingest_is_admin_only(
    client: TestClient, auth: dict[str, dict[str, str]], role: str
) -> None:
    started = client.post("/v1/ingest", json=INGEST, headers=auth[role])
    assert "admin" in _assert_error(started, 403, "forbidden")
    polled = client.get("/v1/ingest/some-job", headers=auth[role])
    _assert_error(polled, 403, "forbidden")


def test_session_is_public_and_returns_a_token(client: TestClient, resources: AppResources) -> None:
    response = client.post("/v1/sessions")
    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == resources.session_ttl_s
    principal = verify_session_token(
        resources.signing_key, body["token"], max_age_s=resources.session_ttl_s
    )
    assert principal.kind == "session"
    assert principal.session_id == body["session_id"]


def test_session_token_searches_for_prospects(client: TestClient) -> None:
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(_session_token(client)))
    assert response.status_code == 200, response.text


def test_session_token_may_not_ask_for_the_rep_audience(client: TestClient) -> None:
    token = _session_token(client)
    response = client.post("/v1/search", json={**SEARCH, "audience": "rep"}, headers=_bearer(token))
    _assert_error(response, 403, "forbidden")


def test_session_token_may_not_ingest(client: TestClient) -> None:
    token = _session_token(client)
    started = client.post("/v1/ingest", json=INGEST, headers=_bearer(token))
    assert "API key" in _assert_error(started, 403, "forbidden")
    polled = client.get("/v1/ingest/some-job", headers=_bearer(token))
    _assert_error(polled, 403, "forbidden")


def test_tampered_session_token_is_401(client: TestClient) -> None:
    token = _session_token(client)
    # Change a character inside the signature (the last one may only carry padding bits).
    position = len(token) - 5
    swapped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + swapped + token[position + 1 :]
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(tampered))
    assert "not valid" in _assert_unauthorized(response)


def test_session_token_signed_with_another_key_is_401(client: TestClient) -> None:
    token, _ = issue_session_token(secrets.token_urlsafe(48))
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(token))
    _assert_unauthorized(response)


def test_expired_session_token_is_401(client: TestClient, resources: AppResources) -> None:
    token = _expired_token(resources.signing_key, age_s=resources.session_ttl_s + 60)
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(token))
    assert "expired" in _assert_unauthorized(response)


def test_session_token_just_inside_its_lifetime_is_accepted(
    client: TestClient, resources: AppResources
) -> None:
    token = _expired_token(resources.signing_key, age_s=resources.session_ttl_s - 60)
    response = client.post("/v1/search", json=SEARCH, headers=_bearer(token))
    assert response.status_code == 200, response.text


def test_verify_session_token_refuses_an_old_token() -> None:
    key = secrets.token_urlsafe(48)
    token = _expired_token(key, age_s=10)
    with pytest.raises(InvalidCredentials, match="expired"):
        verify_session_token(key, token, max_age_s=5)
    assert verify_session_token(key, token, max_age_s=60).session_id == "long-ago"


def test_verify_session_token_refuses_a_token_without_session_id() -> None:
    key = secrets.token_urlsafe(48)
    token = URLSafeTimedSerializer(key, salt=_SESSION_SALT).dumps({"sid": ""})
    with pytest.raises(InvalidCredentials, match="not valid"):
        verify_session_token(key, str(token), max_age_s=60)
