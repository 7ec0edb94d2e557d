"""The assistant's toolbox picks up a re-ingested pricing catalog, checking at most every few s."""

from __future__ import annotations

from pathlib import Path

from clinch.assistant_wiring import AgentToolbox
from clinch.settings import Settings
from clinch.tasks import ingest_options, run_ingest
from clinch.wiring import open_clients
from tests.api.conftest import isolated_settings, link_model_cache
from tests.demo_company import DEMO, copy_demo


def test_a_re_ingested_catalog_is_used_after_the_check_interval(
    tmp_path: Path, demo_template: Path
) -> None:
    home = tmp_path / "home"
    link_model_cache(home)
    settings: Settings = isolated_settings(home)
    copy_demo(demo_template, settings)
    now = [100.0]
    clients = open_clients(settings)
    try:
        toolbox = AgentToolbox(settings, clients, check_s=5.0, clock=lambda: now[0])
        first = toolbox()
        assert first.catalog is not None
        assert first.catalog.plan("team").price is not None
        team = first.catalog.plan("team")

        changed = tmp_path / "prices" / "pricing.yaml"
        changed.parent.mkdir()
        original = (DEMO / "pricing.yaml").read_text()
        assert "8.50" in original
        changed.write_text(original.replace("8.50", "9.25"))
        options = ingest_options(settings, visibility="public", base_url=None, force=False)
        run_ingest(clients, changed.parent, options, listener=None)

        now[0] += 1.0  # inside the interval: the same tools, no query
        assert toolbox() is first
        now[0] += 5.0
        fresh = toolbox()
        assert fresh.catalog is not None
        assert fresh.catalog.plan("team") != team
        assert "9.25" in str(fresh.catalog.plan("team").price)
    finally:
        clients.close()
