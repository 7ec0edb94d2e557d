"""Build long-lived clients (database, embedder, vector store) from settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.settings import Settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from retrieval.edge_store import EdgeStore
from retrieval.embedder import SentenceEmbedder, bundled_model_dir
from retrieval.server_store import ServerStore
from retrieval.store import VectorStore


def configure_process(settings: Settings) -> None:
    """Set process-wide knobs once: offline model hub, one math thread per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_NUM_THREADS", str(settings.embedder.threads))
    settings.resolved_home.mkdir(parents=True, exist_ok=True)


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Migrate the store of record to the newest schema and return engine and sessions."""
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    return engine, make_session_factory(engine)


def open_embedder(settings: Settings) -> SentenceEmbedder:
    """Load the embedding model from the bundled package, offline."""
    return SentenceEmbedder(
        bundled_model_dir(),
        backend=settings.embedder.backend,
        cache_dir=settings.resolved_home / "models",
        batch_size=settings.embedder.batch_size,
        threads=settings.embedder.threads,
    )


def open_store(settings: Settings, *, dimension: int) -> VectorStore:
    """Open Qdrant Edge under home, or the Qdrant server at CLINCH_QDRANT_URL."""
    if settings.qdrant_url:
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return ServerStore(
            collection=settings.collection,
            dimension=dimension,
            url=settings.qdrant_url,
            api_key=key,
        )
    return EdgeStore(settings.vector_path, dimension=dimension)


@dataclass
class Clients:
    """The long-lived clients of one process."""

    engine: Engine
    sessions: sessionmaker[Session]
    embedder: SentenceEmbedder
    store: VectorStore
    closed: bool = field(default=False)

    def close(self) -> None:
        """Release the vector store and the database pool."""
        if self.closed:
            return
        self.closed = True
        self.store.close()
        self.engine.dispose()


def open_clients(settings: Settings) -> Clients:
    """Open every client a vector-touching process needs (the store last: it may be busy)."""
    configure_process(settings)
    engine, sessions = open_database(settings)
    embedder = open_embedder(settings)
    try:
        store = open_store(settings, dimension=embedder.dimension)
    except Exception:
        engine.dispose()
        raise
    return Clients(engine=engine, sessions=sessions, embedder=embedder, store=store)
