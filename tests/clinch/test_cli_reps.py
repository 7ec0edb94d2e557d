"""`clinch reps load / list` and `clinch keys create --rep` against a real home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinch.cli import app

DEMO_REPS = Path(__file__).resolve().parents[2] / "demo" / "reps.yaml"


@pytest.fixture
def runner(clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    del clean_env
    monkeypatch.setenv("CLINCH_HOME", str(tmp_path / "home"))
    return CliRunner()


def _reps(runner: CliRunner) -> list[dict[str, object]]:
    result = runner.invoke(app, ["reps", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_the_demo_reps_load_once_and_list(runner: CliRunner) -> None:
    first = runner.invoke(app, ["reps", "load", str(DEMO_REPS), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"created": 5, "updated": 0, "unchanged": 0}
    again = runner.invoke(app, ["reps", "load", str(DEMO_REPS), "--json"])
    assert json.loads(again.stdout) == {"created": 0, "updated": 0, "unchanged": 5}
    rows = _reps(runner)
    assert rows[0]["email"] == "dana@quillstack.example"
    assert rows[0]["working_hours"] == "09:00-17:00"
    table = runner.invoke(app, ["reps", "list"])
    assert table.exit_code == 0
    assert "Dana" in table.stdout


def test_a_bad_file_is_refused_whole_and_changes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["reps", "load", str(DEMO_REPS)]).exit_code == 0
    before = _reps(runner)
    bad = tmp_path / "reps.yaml"
    text = DEMO_REPS.read_text().replace('working_hours: "09:00-17:00"', 'working_hours: "late"')
    bad.write_text(text.replace("Europe/Berlin", "Europe/Atlantis"))
    result = runner.invoke(app, ["reps", "load", str(bad)])
    assert result.exit_code == 1
    flat = " ".join(result.stderr.split())
    assert "nothing loaded" in flat
    assert "reps[0].working_hours" in flat
    assert "reps[1].timezone" in flat
    assert _reps(runner) == before
    missing = runner.invoke(app, ["reps", "load", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1


def test_a_rep_key_is_linked_to_its_rep(runner: CliRunner) -> None:
    runner.invoke(app, ["reps", "load", str(DEMO_REPS)])
    made = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--role",
            "rep",
            "--name",
            "dana",
            "--rep",
            "DANA@quillstack.example",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["rep_id"] == 1
    unknown = runner.invoke(
        app, ["keys", "create", "--role", "rep", "--name", "x", "--rep", "who@nowhere.test"]
    )
    assert unknown.exit_code == 1
    assert "no rep with email" in " ".join(unknown.stderr.split())
    site = runner.invoke(
        app, ["keys", "create", "--role", "site", "--name", "x", "--rep", "dana@quillstack.example"]
    )
    assert site.exit_code == 1
