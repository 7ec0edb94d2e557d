"""Ingest through the API: queued to the embedded vectors worker, polled, then searchable."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinch.settings import Settings

JOB_TIMEOUT_S = 60.0


def _write_docs(folder: Path, words: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, word in words.items():
        (folder / f"{name}.md").write_text(
            f"# {name.title()}\n\nThe {word} is how Quillstack teams describe the {name} feature.\n"
        )
    return folder


def _start(client: TestClient, headers: dict[str, str], **body: object) -> str:
    response = client.post("/v1/ingest", json=body, headers=headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["state"] in {"queued", "running", "succeeded"}
    assert job["error"] is None
    return str(job["id"])


def _wait(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get(f"/v1/ingest/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, object] = response.json()
        assert job["id"] == job_id
        if job["state"] in {"succeeded", "failed"}:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {JOB_TIMEOUT_S}s: {job}")


def _ingest(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    job = _wait(client, headers, _start(client, headers, **body))
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert isinstance(result, dict)
    return result


def _sources(
    client: TestClient, headers: dict[str, str], query: str, audience: str = "prospect"
) -> list[str]:
    body = {"query": query, "audience": audience, "k": 3, "mode": "sparse"}
    response = client.post("/v1/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return [str(h["source"]) for h in response.json()["hits"] if query in h["text"]]


def _broker_messages(settings: Settings) -> int:
    with sqlite3.connect(settings.resolved_home / "broker.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM kombu_message").fetchone()[0])


def test_ingest_runs_on_the_embedded_worker_and_becomes_searchable(
    client: TestClient, auth: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    folder = _write_docs(tmp_path / "kb", {"gizmo": "zorblaxian", "widget": "quuxifier"})
    job = _wait(client, auth["admin"], _start(client, auth["admin"], path=str(folder)))
    assert job["state"] == "succeeded", job
    assert job["done"] == job["total"] == 2
    assert job["error"] is None
    result = job["result"]
    assert isinstance(result, dict)
    assert result["root"] == str(folder.resolve())
    assert result["visibility"] == "public"
    assert result["counts"] == {"added": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0}
    assert result["chunks_written"] == 2
    assert _sources(client, auth["site"], "zorblaxian") == ["gizmo.md"]
    assert _sources(client, auth["site"], "quuxifier") == ["widget.md"]


def test_reingest_skips_unchanged_and_removes_deleted_files(
    client: TestClient, auth: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    folder = _write_docs(tmp_path / "kb", {"sprocket": "flibbertigibbet", "cog": "snorkelwhack"})
    _ingest(client, auth["admin"], path=str(folder))

    again = _ingest(client, auth["admin"], path=str(folder))
    assert again["counts"] == {"added": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0}
    assert again["chunks_written"] == 0

    (folder / "cog.md").unlink()
    pruned = _ingest(client, auth["admin"], path=str(folder))
    assert pruned["counts"] == {"added": 0, "updated": 0, "unchanged": 1, "deleted": 1, "failed": 0}
    assert _sources(client, auth["site"], "snorkelwhack") == []
    assert _sources(client, auth["site"], "flibbertigibbet") == ["sprocket.md"]


def test_internal_ingest_is_hidden_from_prospects(
    client: TestClient, auth: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    folder = _write_docs(tmp_path / "secret", {"margin": "blorptastic"})
    result = _ingest(client, auth["admin"], path=str(folder), visibility="internal")
    assert result["visibility"] == "internal"
    assert result["counts"]["added"] == 1  # type: ignore[index]
    assert _sources(client, auth["site"], "blorptastic") == []
    assert _sources(client, auth["rep"], "blorptastic", audience="rep") == ["margin.md"]


def test_base_url_names_pages_without_a_url(
    client: TestClient, auth: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    folder = _write_docs(tmp_path / "site", {"lanyard": "wobbleferry"})
    _ingest(client, auth["admin"], path=str(folder), base_url="https://docs.example/kb/")
    body = {"query": "wobbleferry", "k": 1, "mode": "sparse"}
    hit = client.post("/v1/search", json=body, headers=auth["site"]).json()["hits"][0]
    assert hit["url"] == "https://docs.example/kb/lanyard"


def test_folder_of_bad_files_finishes_with_each_error(
    client: TestClient, auth: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.md").write_text("")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04 not a deck")
    result = _ingest(client, auth["admin"], path=str(folder))
    assert result["counts"]["failed"] == 2  # type: ignore[index]
    assert result["chunks_written"] == 0
    files = result["files"]
    assert isinstance(files, list)
    errors = {f["path"]: f["error"] for f in files}
    assert set(errors) == {"empty.md", "slides.pptx"}
    assert all(errors.values())
    assert "unsupported file type" in errors["slides.pptx"]


def test_missing_path_is_404_and_queues_nothing(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    api_settings: Settings,
    tmp_path: Path,
) -> None:
    before = _broker_messages(api_settings)
    missing = tmp_path / "no-such-folder"
    response = client.post("/v1/ingest", json={"path": str(missing)}, headers=auth["admin"])
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "source_not_found"
    assert str(missing) in body["detail"]
    assert _broker_messages(api_settings) == before


@pytest.mark.parametrize("path", ["~/../../definitely-missing-clinch", "relative/missing"])
def test_other_missing_paths_are_404(
    client: TestClient, auth: dict[str, dict[str, str]], path: str
) -> None:
    response = client.post("/v1/ingest", json={"path": path}, headers=auth["admin"])
    assert response.status_code == 404
    assert response.json()["error"] == "source_not_found"


@pytest.mark.parametrize("path", ["/tmp/" + "n" * 300, "~no-such-user-clinch/docs"])
def test_paths_the_os_refuses_are_404_not_500(
    client: TestClient, auth: dict[str, dict[str, str]], path: str
) -> None:
    response = client.post("/v1/ingest", json={"path": path}, headers=auth["admin"])
    assert response.status_code == 404
    assert response.json()["error"] == "source_not_found"


def test_unknown_job_id_is_404(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/ingest/no-such-job", headers=auth["admin"])
    assert response.status_code == 404
    assert response.json()["error"] == "ingest_job_not_found"


def test_job_status_is_admin_only(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/ingest/whatever", headers=auth["rep"])
    assert response.status_code == 403
