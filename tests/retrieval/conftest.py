"""Retrieval fixtures: the demo ingested once per backend, with embeddings shared between them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingestion.service import IngestOptions, ingest_path
from leads.db import make_engine, make_session_factory, unit_of_work
from leads.migrate import upgrade
from retrieval.edge_store import EdgeStore
from retrieval.embedder import FloatMatrix, SentenceEmbedder
from retrieval.schemas import Visibility
from retrieval.server_store import ServerStore
from retrieval.store import VectorStore

DEMO = Path(__file__).resolve().parents[2] / "demo"
DEMO_BASE_URL = "https://quillstack.example/docs"
# The same three sources `make demo` ingests.
DEMO_SOURCES: tuple[tuple[Path, Visibility, str | None], ...] = (
    (DEMO / "docs", "public", DEMO_BASE_URL),
    (DEMO / "internal", "internal", None),
    (DEMO / "pricing.yaml", "public", None),
)


class CachedEmbedder:
    """The real embedder, remembering its vectors so the second backend reuses the first's."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self._inner = inner
        self._vectors: dict[str, np.ndarray] = {}
        self._tokens: dict[str, int] = {}

    @property
    def dimension(self) -> int:
        """Return the vector size."""
        return self._inner.dimension

    @property
    def name(self) -> str:
        """Return the inner embedder's name (it decides the ingest fingerprint)."""
        return self._inner.name

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        """Embed the texts not seen before, and return every text's vector."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._inner.embed_documents(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def embed_query(self, text: str) -> FloatMatrix:
        """Embed one query (cached like a document: the model does not tell them apart)."""
        return np.asarray(self.embed_documents([text])[0], dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Return the inner tokenizer's count, cached."""
        if text not in self._tokens:
            self._tokens[text] = self._inner.count_tokens(text)
        return self._tokens[text]


@pytest.fixture(scope="session")
def cached_embedder(embedder: SentenceEmbedder) -> CachedEmbedder:
    """The real embedder with a cache shared by every test of the session."""
    return CachedEmbedder(embedder)


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
