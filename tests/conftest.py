"""Shared fixtures: the real embedder (loaded once), real stores, a real SQLite database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from clinch.settings import get_settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from retrieval.edge_store import EdgeStore
from retrieval.embedder import SentenceEmbedder, bundled_model_dir
from retrieval.server_store import ServerStore
from retrieval.store import VectorStore
from tests.cached_embedder import CachedEmbedder
from tests.simulated_store import LEADS, SEED, copy_database, fill_store

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# ragas posts a usage event from every metric call: the tests run offline.
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo"
SHARED = REPO.parent / "shared"
MODEL_CACHE = REPO / "var" / "test-models"


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    """The real MiniLM embedder (ONNX), exported once into var/test-models."""
    return SentenceEmbedder(bundled_model_dir(), backend="onnx", cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def cached_embedder(embedder: SentenceEmbedder) -> CachedEmbedder:
    """The real embedder with a cache shared by every test of the session."""
    return CachedEmbedder(embedder)


@pytest.fixture(params=["edge", "server"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: SentenceEmbedder
) -> Iterator[VectorStore]:
    """Both backends: Qdrant Edge, and qdrant-client local mode standing in for a server."""
    vector_store: VectorStore
    if request.param == "edge":
        vector_store = EdgeStore(tmp_path / "edge", dimension=embedder.dimension)
    else:
        vector_store = ServerStore(
            collection="test", dimension=embedder.dimension, path=tmp_path / "local-qdrant"
        )
    yield vector_store
    vector_store.close()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once per run (a migration takes ~0.25 s)."""
    path = tmp_path_factory.mktemp("migrated") / "clinch.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sessions(tmp_path: Path, migrated_database: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite database of the test's own (a copy of the run's migrated file)."""
    path = copy_database(migrated_database, tmp_path / "clinch.sqlite")
    engine = make_engine(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def simulated_store(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Path:
    """A SQLite store of 1,500 simulated leads ending at END, filled once per run (~35 s).

    Shared by several modules: each copies it (copy_database) and opens its own copy.
    """
    path = copy_database(migrated_database, tmp_path_factory.mktemp("simulated") / "clinch.sqlite")
    engine = make_engine(f"sqlite:///{path}")
    try:
        fill_store(make_session_factory(engine), leads=LEADS, seed=SEED)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """CLINCH_HOME at tmp_path/home (not created yet), no other CLINCH_* variable, no .env."""
    for name in list(os.environ):
        if name.startswith("CLINCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLINCH_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory, cached_embedder: CachedEmbedder
) -> Path:
    """A home with the demo company ingested once per run; tests copy it (see demo_company).

    Embedded through the session's cache, so the retrieval tests' demo ingests reuse the vectors.
    """
    from tests.api.conftest import isolated_settings, link_model_cache
    from tests.demo_company import ingest_demo

    home = tmp_path_factory.mktemp("demo-template")
    link_model_cache(home)
    ingest_demo(isolated_settings(home), embedder=cached_embedder)
    return home


# PostgreSQL fixtures of the integration tier: a throwaway database per test.
POSTGRES_URL = os.environ.get("CLINCH_TEST_POSTGRES_URL")


@contextmanager
def throwaway_database(*, template: str | None = None) -> Iterator[str]:
    """Yield the URL of a new database on the server (a copy of `template`), then drop it."""
    assert POSTGRES_URL is not None
    name = f"clinch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    like = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{like}'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway database on the server, dropped after the test."""
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated() -> Iterator[str]:
    """The name of a database migrated once per run: pg_sessions databases are copies of it."""
    with throwaway_database() as url:
        upgrade(url)
        yield url.rpartition("/")[2]


@pytest.fixture
def pg_sessions(pg_migrated: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated PostgreSQL database of the test's own (migrated 0.5 s, copied 0.2)."""
    with throwaway_database(template=pg_migrated) as url:
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()
