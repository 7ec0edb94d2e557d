"""The bundled demo company (Quillstack) ingested into a home, as `make demo` does."""

from __future__ import annotations

import shutil
from pathlib import Path

from clinch.settings import Settings
from clinch.tasks import ingest_options
from clinch.wiring import configure_process, open_database, open_embedder, open_store
from ingestion.service import ingest_path
from leads.db import unit_of_work
from retrieval.embedder import Embedder
from retrieval.schemas import Visibility

DEMO = Path(__file__).resolve().parents[1] / "demo"
DOCS_URL = "https://quillstack.example/docs"


def ingest_demo(settings: Settings, *, embedder: Embedder | None = None) -> None:
    """Ingest the demo's public docs, internal playbooks and pricing catalog into settings' home.

    With `embedder`, that one embeds instead of a model the home loads for itself.
    """
    configure_process(settings)
    engine, sessions = open_database(settings)
    embedder = embedder or open_embedder(settings)
    store = open_store(settings, dimension=embedder.dimension)
    try:
        sources: tuple[tuple[Path, Visibility, str | None], ...] = (
            (DEMO / "docs", "public", DOCS_URL),
            (DEMO / "internal", "internal", None),
            (DEMO / "pricing.yaml", "public", "https://quillstack.example"),
        )
        for folder, visibility, base_url in sources:
            options = ingest_options(
                settings,
                visibility=visibility,
                base_url=base_url,
                force=False,
            )
            # As clinch.tasks.run_ingest does: one unit of work, a commit after every file.
            with unit_of_work(sessions) as session:
                ingest_path(
                    session,
                    root=folder,
                    embedder=embedder,
                    store=store,
                    options=options,
                    checkpoint=session.commit,
                )
    finally:
        store.close()
        engine.dispose()


def copy_demo(template: Path, settings: Settings) -> None:
    """Give settings' home the ingested demo of `template`: its database and vector store."""
    home = settings.resolved_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template / "clinch.sqlite", home / "clinch.sqlite")
    shutil.copytree(template / "qdrant-edge", settings.vector_path, dirs_exist_ok=True)
