"""`clinch ask` on the demo company, in-process (no server running)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clinch.cli_ask import ask_command

pytestmark = pytest.mark.slow  # the demo company is embedded for the test


def test_ask_answers_as_json_and_continues_a_session(demo_home: Path) -> None:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command()(ask_command)
    runner = CliRunner()
    first = runner.invoke(app, ["How much is the Team plan?", "--json"])
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert {"answer", "citations", "actions", "confidence", "session_id"} <= set(body)
    assert "$8.50" in body["answer"]
    assert body["citations"][0] == {
        "n": 1,
        "title": "Quillstack pricing",
        "url": None,
        "source": "pricing.yaml",
    }
    follow = runner.invoke(
        app, ["and the Business one?", "--session", body["session_id"], "--json"]
    )
    assert follow.exit_code == 0, follow.output
    assert "$15" in json.loads(follow.stdout)["answer"]

    unknown = runner.invoke(app, ["hello", "--session", "nope"])
    assert unknown.exit_code == 1
    assert "no chat session 'nope'" in unknown.stderr
    empty = runner.invoke(app, ["   "])
    assert empty.exit_code == 1
    assert "the message is empty" in empty.stderr
