"""`clinch eval rag` refuses to score an empty store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clinch.cli import app


def test_eval_assistant_on_an_empty_home_says_to_ingest_first(
    clinch_home: Path, tmp_path: Path
) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "q1", "question": "How much is Pro?"}) + "\n")
    result = CliRunner().invoke(app, ["eval", "rag", "--qa", str(qa), "--json"])
    assert result.exit_code == 1, result.output
    assert "nothing is ingested" in result.stderr
    assert "clinch ingest" in result.stderr
    assert result.stdout == ""
