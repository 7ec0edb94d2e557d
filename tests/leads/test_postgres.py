"""The store of record on a real PostgreSQL server: migrations, manifest, keys, ingest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.auth import create_key, verify_key
from ingestion.service import IngestOptions, ingest_path
from leads import documents as docs_repo
from leads.db import make_engine, unit_of_work
from leads.migrate import alembic_config, upgrade
from retrieval.edge_store import EdgeStore
from retrieval.embedder import SentenceEmbedder

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]


def test_migrations_go_up_and_down(pg_url: str) -> None:
    from alembic import command

    upgrade(pg_url)
    engine = make_engine(pg_url)
    tables = set(inspect(engine).get_table_names())
    assert {"api_keys", "source_documents", "ingest_jobs", "alembic_version"} <= tables
    command.downgrade(alembic_config(pg_url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_manifest_rows_are_unique_per_root_and_path(pg_sessions: sessionmaker[Session]) -> None:
    with unit_of_work(pg_sessions) as session:
        docs_repo.upsert_document(
            session,
            root="/r",
            path="a.md",
            content_hash="h1",
            visibility="public",
            title="A",
            chunk_count=2,
        )
    with unit_of_work(pg_sessions) as session:
        docs_repo.upsert_document(
            session,
            root="/r",
            path="a.md",
            content_hash="h2",
            visibility="public",
            title="A",
            chunk_count=3,
        )
    with pg_sessions() as session:
        rows = docs_repo.documents_under(session, "/r")
        assert {p: r.content_hash for p, r in rows.items()} == {"a.md": "h2"}
    with pytest.raises(IntegrityError), unit_of_work(pg_sessions) as session:
        session.execute(
            text(
                "INSERT INTO source_documents (root, path, content_hash, visibility, title, "
                "chunk_count, ingested_at) VALUES ('/r', 'a.md', 'x', 'public', 'A', 1, now())"
            )
        )


def test_api_keys_round_trip(pg_sessions: sessionmaker[Session]) -> None:
    with unit_of_work(pg_sessions) as session:
        key = create_key(session, name="dana", role="rep")
    with unit_of_work(pg_sessions) as session:
        principal = verify_key(session, key.secret)
    assert principal.role == "rep"
    assert principal.name == "dana"


def test_ingest_keeps_its_manifest_in_postgres(
    pg_sessions: sessionmaker[Session], tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nThe glimmerwick setting is on by default.\n")
    (folder / "b.md").write_text("# Beta\n\nQuorvane exports run nightly.\n")
    store = EdgeStore(tmp_path / "edge", dimension=embedder.dimension)
    try:
        for expected in ("added", "unchanged"):
            with unit_of_work(pg_sessions) as session:
                summary = ingest_path(
                    session,
                    root=folder,
                    embedder=embedder,
                    store=store,
                    options=IngestOptions(),
                    checkpoint=session.commit,
                )
            assert {f.status for f in summary.files} == {expected}
        (folder / "b.md").unlink()
        with unit_of_work(pg_sessions) as session:
            summary = ingest_path(
                session,
                root=folder,
                embedder=embedder,
                store=store,
                options=IngestOptions(),
                checkpoint=session.commit,
            )
        assert summary.counts["deleted"] == 1
        with pg_sessions() as session:
            assert set(docs_repo.documents_under(session, str(folder.resolve()))) == {"a.md"}
        assert store.count() == 1
    finally:
        store.close()
