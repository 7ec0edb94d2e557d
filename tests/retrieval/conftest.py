"""Retrieval fixtures: the demo ingested once per backend, with embeddings shared between them.

The session's `cached_embedder` (tests/conftest.py) already holds the demo's vectors when the
demo template was built first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestion.service import IngestOptions, ingest_path
from leads.db import make_engine, make_session_factory, unit_of_work
from leads.migrate import upgrade
from retrieval.edge_store import EdgeStore
from retrieval.schemas import Visibility
from retrieval.server_store import ServerStore
from retrieval.store import VectorStore
from tests.cached_embedder import CachedEmbedder

DEMO = Path(__file__).resolve().parents[2] / "demo"
DEMO_BASE_URL = "https://quillstack.example/docs"
# The same three sources `make demo` ingests.
DEMO_SOURCES: tuple[tuple[Path, Visibility, str | None], ...] = (
    (DEMO / "docs", "public", DEMO_BASE_URL),
    (DEMO / "internal", "internal", None),
    (DEMO / "pricing.yaml", "public", None),
)


def ingest_demo(store: VectorStore, *, embedder: CachedEmbedder, db_url: str) -> None:
    """Ingest the demo's public docs, internal pages and pricing catalog into the store."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        sessions = make_session_factory(engine)
        for root, visibility, base_url in DEMO_SOURCES:
            with unit_of_work(sessions) as session:
                summary = ingest_path(
                    session,
                    root=root,
                    embedder=embedder,
                    store=store,
                    options=IngestOptions(visibility=visibility, base_url=base_url),
                    checkpoint=session.commit,
                )
            failed = [f for f in summary.files if f.status == "failed"]
            assert not failed, f"the demo must ingest cleanly: {failed}"
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["edge", "server"])
def demo_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    cached_embedder: CachedEmbedder,
) -> Iterator[VectorStore]:
    """The whole demo, ingested once per backend and module (read-only for the tests)."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    vector_store: VectorStore
    if request.param == "edge":
        vector_store = EdgeStore(folder / "edge", dimension=cached_embedder.dimension)
    else:
        vector_store = ServerStore(
            collection="demo", dimension=cached_embedder.dimension, path=folder / "local-qdrant"
        )
    try:
        ingest_demo(
            vector_store, embedder=cached_embedder, db_url=f"sqlite:///{folder / 'demo.sqlite'}"
        )
        yield vector_store
    finally:
        vector_store.close()
