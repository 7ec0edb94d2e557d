"""`clinch nurture`: load the demo library and sequences, refuse bad ones whole, run one lead."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clinch.cli import app
from clinch.settings import get_settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.nurture_models import NurtureSequenceVersion, NurtureTemplate

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo" / "nurture"


@pytest.fixture
def runner(clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    del clean_env
    monkeypatch.setenv("CLINCH_HOME", str(tmp_path / "home"))
    # No quiet hours, so the welcome email goes out whenever the test runs.
    monkeypatch.setenv("CLINCH_NURTURE__QUIET_START", "00:00")
    monkeypatch.setenv("CLINCH_NURTURE__QUIET_END", "00:00")
    get_settings.cache_clear()
    return CliRunner()


def _counts() -> tuple[int, int]:
    engine, sessions = open_database(get_settings())
    try:
        with sessions() as session:
            versions = session.scalar(select(func.count()).select_from(NurtureSequenceVersion))
            templates = session.scalar(select(func.count()).select_from(NurtureTemplate))
            return int(versions or 0), int(templates or 0)
    finally:
        engine.dispose()


def test_a_folder_with_one_bad_sequence_loads_nothing_and_names_the_problem(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "nurture"
    shutil.copytree(DEMO, folder)
    bad = folder / "mid-market-nurture.yaml"
    bad.write_text(bad.read_text().replace("email: pricing-nudge", "email: pricing-nuge"))
    checked = runner.invoke(app, ["nurture", "check", str(folder)])
    assert checked.exit_code == 1
    refused = runner.invoke(app, ["nurture", "load", str(folder)])
    assert refused.exit_code == 1
    assert "unknown template 'pricing-nuge' (did you mean 'pricing-nudge'?)" in refused.output
    assert _counts() == (0, 0)  # the good templates and sequences before it stayed out too


def test_the_demo_loads_once_and_a_lead_goes_through_its_first_step(runner: CliRunner) -> None:
    loaded = runner.invoke(app, ["nurture", "load", str(DEMO)])
    assert loaded.exit_code == 0, loaded.output
    assert "self-serve-onboarding: new version 1" in loaded.output
    again = runner.invoke(app, ["nurture", "load", str(DEMO)])
    assert "self-serve-onboarding: unchanged, still version 1" in again.output
    assert _counts() == (4, 6)
    shown = runner.invoke(app, ["nurture", "show", "self-serve-onboarding", "--json"])
    assert json.loads(shown.stdout)["steps"][0] == {"id": "welcome", "email": "welcome"}
    missing = runner.invoke(app, ["nurture", "show", "nope"])
    assert missing.exit_code == 1
    assert "no sequence has key 'nope'" in missing.output

    now = datetime.now(UTC)
    engine, sessions = open_database(get_settings())
    try:
        with unit_of_work(sessions) as session:
            ingest_events(
                session,
                batch=[
                    EventIn(
                        event_id="cli-1",
                        type="consent_given",
                        occurred_at=now - timedelta(minutes=2),
                        email="ada@cli.example",
                        properties={"purpose": "marketing"},
                    )
                ],
                received_at=now,
            )
    finally:
        engine.dispose()
    unknown = runner.invoke(
        app, ["nurture", "enroll", "--lead", "nobody@cli.example", "--sequence", "x"]
    )
    assert unknown.exit_code == 1
    assert "no lead has email 'nobody@cli.example'" in unknown.output
    enrolled = runner.invoke(
        app,
        ["nurture", "enroll", "--lead", "Ada@cli.example", "--sequence", "self-serve-onboarding"],
    )
    assert "ada@cli.example: enrolled" in enrolled.output.lower()
    ticked = runner.invoke(app, ["nurture", "tick"])
    assert ticked.exit_code == 0, ticked.output
    assert "1 emails written" in ticked.output
    assert "1 sent" in ticked.output
    sends = runner.invoke(app, ["nurture", "sends", "list", "--json"])
    [send] = json.loads(sends.stdout)
    assert (send["template"], send["status"], send["to_email"]) == (
        "welcome",
        "sent",
        "ada@cli.example",
    )
    outbox = get_settings().outbox_path / "nurture" / f"nurture-{send['id']}.eml"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in outbox.read_text()
    not_dead = runner.invoke(app, ["nurture", "sends", "retry", str(send["id"])])
    assert not_dead.exit_code == 1
    assert "is sent, not dead" in not_dead.output
