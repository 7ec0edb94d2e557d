"""Search through the API: the audience filter keeps internal pages from prospects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.resources import AppResources
from ingestion.service import IngestOptions, ingest_path
from leads.db import unit_of_work
from retrieval.schemas import Visibility

DEMO = Path(__file__).resolve().parents[2] / "demo"
INTERNAL_PHRASES = ("QS-HARBOR-20", "floor price")
INTERNAL_QUERIES = ("QS-HARBOR-20", "floor price", "Business floor price HARBOR discount code")
MODES = ("hybrid", "dense", "sparse")


def _ingest(resources: AppResources, root: Path, visibility: Visibility) -> None:
    with unit_of_work(resources.sessions) as session:
        summary = ingest_path(
            session,
            root=root,
            embedder=resources.embedder,
            store=resources.store,
            options=IngestOptions(visibility=visibility),
            checkpoint=session.commit,
        )
    assert summary.counts["failed"] == 0, summary.to_dict()


@pytest.fixture(scope="module")
def corpus(resources: AppResources, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Public FAQ and pricing pages, the internal pages, and an internal page in a public folder."""
    _ingest(resources, DEMO / "docs" / "faq", "public")
    _ingest(resources, DEMO / "docs" / "pricing-overview.md", "public")
    _ingest(resources, DEMO / "internal", "internal")
    # Front matter `visibility: internal` must win over a public folder.
    misfiled = tmp_path_factory.mktemp("misfiled")
    shutil.copy(DEMO / "internal" / "discount-playbook.md", misfiled / "playbook-copy.md")
    _ingest(resources, misfiled, "public")
    return misfiled


def _search(client: TestClient, headers: dict[str, str], **body: object) -> list[dict[str, object]]:
    response = client.post("/v1/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["query"] == body["query"]
    hits: list[dict[str, object]] = payload["hits"]
    return hits


def _prospect_headers(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    token = client.post("/v1/sessions").json()["token"]
    return {
        "site": auth["site"],
        "marketer": auth["marketer"],
        "session": {"Authorization": f"Bearer {token}"},
    }


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query", INTERNAL_QUERIES)
def test_prospect_search_never_returns_internal_text(
    client: TestClient, auth: dict[str, dict[str, str]], query: str, mode: str
) -> None:
    for caller, headers in _prospect_headers(client, auth).items():
        hits = _search(client, headers, query=query, audience="prospect", k=50, mode=mode)
        # Sparse search may match no public term at all; the others always answer.
        assert hits or mode == "sparse", caller
        for hit in hits:
            assert hit["visibility"] == "public", (caller, hit["source"])
            assert "playbook" not in str(hit["source"]), caller
            for phrase in INTERNAL_PHRASES:
                assert phrase.lower() not in str(hit["text"]).lower(), (caller, hit["source"])


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("role", ["admin", "rep"])
def test_rep_audience_finds_the_internal_code(
    client: TestClient, auth: dict[str, dict[str, str]], role: str
) -> None:
    hits = _search(client, auth[role], query="QS-HARBOR-20", audience="rep", k=5)
    assert hits
    top = hits[0]
    assert "QS-HARBOR-20" in str(top["text"])
    assert top["visibility"] == "internal"
    assert top["source"] in {"discount-playbook.md", "playbook-copy.md"}


@pytest.mark.usefixtures("corpus")
def test_rep_audience_still_sees_public_pages(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    hits = _search(client, auth["rep"], query="How do refunds work?", audience="rep", k=5)
    assert any(hit["source"] == "refunds.md" and hit["visibility"] == "public" for hit in hits)


@pytest.mark.usefixtures("corpus")
def test_hits_are_complete_and_best_first(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    hits = _search(client, auth["site"], query="Can I get a refund?", k=4)
    assert 1 <= len(hits) <= 4
    for hit in hits:
        assert set(hit) == {
            "id",
            "score",
            "title",
            "source",
            "url",
            "heading_path",
            "visibility",
            "text",
        }
        assert isinstance(hit["heading_path"], list)
        assert str(hit["text"]).strip()
    scores = [float(str(hit["score"])) for hit in hits]
    assert scores == sorted(scores, reverse=True)
    # Public pages keep the URL from their front matter.
    assert all(str(hit["url"]).startswith("https://quillstack.example/docs/") for hit in hits)


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("k", [1, 3, 100])
def test_k_bounds_the_number_of_hits(
    client: TestClient, auth: dict[str, dict[str, str]], k: int
) -> None:
    assert 1 <= len(_search(client, auth["site"], query="billing", k=k)) <= k


@pytest.mark.usefixtures("corpus")
def test_healthz_counts_what_was_ingested(client: TestClient) -> None:
    body = client.get("/healthz").json()
    faq = len(list((DEMO / "docs" / "faq").glob("*.md")))
    internal = len(list((DEMO / "internal").glob("*.md")))
    assert body["documents"] == faq + 1 + internal + 1
    assert body["chunks"] > body["documents"]
