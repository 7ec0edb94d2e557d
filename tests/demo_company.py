"""The bundled demo company (Quillstack) ingested into a home, as `make demo` does."""

from __future__ import annotations

import shutil
from pathlib import Path

from clinch.settings import Settings
from clinch.tasks import ingest_options, run_ingest
from clinch.wiring import open_clients
from leads.migrate import upgrade
from retrieval.schemas import Visibility

DEMO = Path(__file__).resolve().parents[1] / "demo"
DOCS_URL = "https://quillstack.example/docs"


def ingest_demo(settings: Settings) -> None:
    """Ingest the demo's public docs, internal playbooks and pricing catalog into settings' home."""
    upgrade(settings.sqlalchemy_url)
    clients = open_clients(settings)
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
            run_ingest(clients, folder, options, listener=None)
    finally:
        clients.close()


def copy_demo(template: Path, settings: Settings) -> None:
    """Give settings' home the ingested demo of `template`: its database and vector store."""
    home = settings.resolved_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template / "clinch.sqlite", home / "clinch.sqlite")
    shutil.copytree(template / "qdrant-edge", settings.vector_path, dirs_exist_ok=True)
