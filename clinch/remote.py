"""Reach a running Clinch API from the CLI when it holds the embedded vector store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from clinch.server import LOCAL_KEY_FILE
from clinch.settings import Settings
from ingestion.summary import IngestSummary
from leads.errors import ClinchError

_POLL_SECONDS = 0.5


class RemoteError(ClinchError):
    """The running server could not be reached or refused the request."""


class RemoteClinch:
    """A thin HTTP client for the local server, authenticated with its local admin key."""

    def __init__(self, settings: Settings) -> None:
        key_file = settings.resolved_home / LOCAL_KEY_FILE
        if not key_file.exists():
            raise RemoteError(
                f"the vector store is in use but {key_file} is missing: is `clinch up` running "
                "with this CLINCH_HOME? Stop it, or run this command against its API."
            )
        self._client = httpx.Client(
            base_url=f"http://{settings.api_host}:{settings.api_port}",
            headers={"Authorization": f"Bearer {key_file.read_text().strip()}"},
            timeout=60,
        )

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the running Clinch API: {exc}") from exc
        if response.status_code >= 400:
            body = response.json() if "json" in response.headers.get("content-type", "") else {}
            raise RemoteError(f"the server refused: {body.get('detail', response.text)}")
        return response.json()

    def search(self, body: dict[str, object]) -> dict[str, Any]:
        """Run a search on the server."""
        result: dict[str, Any] = self._call("POST", "/v1/search", json=body)
        return result

    def ask(self, text: str, *, session_id: str | None) -> dict[str, Any]:
        """Send a chat message on the server (a new session when none is given)."""
        if session_id is None:
            session_id = str(self._call("POST", "/v1/chat/sessions")["session_id"])
        answer: dict[str, Any] = self._call(
            "POST", f"/v1/chat/sessions/{session_id}/messages", json={"text": text}
        )
        return {**answer, "session_id": session_id}

    def ingest(
        self, body: dict[str, object], *, on_progress: Callable[[int, int], None]
    ) -> IngestSummary:
        """Queue an ingest on the server and wait for its summary."""
        job = self._call("POST", "/v1/ingest", json=body)
        while job["state"] in ("queued", "running"):
            on_progress(int(job["done"]), int(job["total"]))
            time.sleep(_POLL_SECONDS)
            job = self._call("GET", f"/v1/ingest/{job['id']}")
        if job["state"] == "failed":
            raise RemoteError(f"the ingest job failed: {job['error']}")
        return IngestSummary.from_dict(job["result"])
