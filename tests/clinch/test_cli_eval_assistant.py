"""`clinch eval rag`: it refuses an empty store, and scores the demo company's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinch import cli_eval
from clinch.cli import app
from tests.demo_company import DEMO


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


DEMO_QA = [
    {
        "id": "d-price",
        "question": "How much is the Team plan?",
        "gold_answer": "$8.50 per seat per month.",
        "source_paths": ["pricing.yaml", "docs/pricing-overview.md"],
        "answerable": True,
        "kind": "pricing",
    },
    {
        "id": "d-upload",
        "question": "What is the maximum file upload size on the Business plan?",
        "gold_answer": "500 MB on Business (100 MB on Team, 2 GB on Enterprise).",
        "source_paths": ["docs/limits.md"],
        "answerable": True,
        "kind": "limits",
    },
    {
        "id": "d-fedramp",
        "question": "Is Quillstack FedRAMP authorized for US federal agencies?",
        "gold_answer": "The docs do not cover FedRAMP.",
        "source_paths": [],
        "answerable": False,
        "kind": "unanswerable",
    },
]


@pytest.mark.slow  # the demo company is embedded, and ragas scores the answers
def test_eval_rag_on_the_demo_company(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qa = tmp_path / "demo_qa.jsonl"
    qa.write_text("".join(json.dumps(row) + "\n" for row in DEMO_QA))
    runner = CliRunner()
    result = runner.invoke(
        app, ["eval", "rag", "--qa", str(qa), "--corpus", str(DEMO), "-k", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    score, ragas = report["score"], report["ragas"]
    rows = {r["id"]: r for r in report["rows"]}
    price, upload, fedramp = rows["d-price"], rows["d-upload"], rows["d-fedramp"]

    # The Team plan is answered from the catalog: exact price, cited first, no passages.
    assert price["answered_by"] == "catalog"
    assert price["price_exact"] is True
    assert price["cited"][0] == "pricing.yaml"
    assert price["ragas"]["context_recall"] is None
    assert 0.0 < price["ragas"]["semantic_similarity"] <= 1.0
    assert (score["price_rows"], score["price_exact_rate"]) == (1, 1.0)
    assert score["cited"]["k"] == 3
    assert score["cited"]["rows"] == 2
    assert score["cited"]["hit_at_1"] >= 0.5

    # The upload limit is a docs answer: retrieval ranks and ragas's context scores exist.
    assert upload["answered_by"] in {"extractive", "llm"}
    assert len(upload["retrieved"]) == 5
    assert score["retrieved"]["rows"] == 1  # the catalog answer searched nothing
    limits_rank = next(
        (n for n, s in enumerate(upload["retrieved"], 1) if s.endswith("limits.md")), None
    )
    # limits.md is the only gold file: its evidence passage is the one reference context.
    assert upload["ragas"]["context_recall"] == (0.0 if limits_rank is None else 1.0)
    if limits_rank is not None:
        assert upload["ragas"]["context_precision"] >= 1 / limits_rank - 1e-6
    assert 0.0 <= upload["ragas"]["string_similarity"] < 1.0

    # The unanswerable row counts for refusals, not for ragas.
    assert fedramp["ragas"] is None
    assert score["declined"] == int(fedramp["not_covered"])
    assert (ragas["rows"], ragas["context_rows"]) == (2, 1)

    monkeypatch.setattr(cli_eval.console, "width", 250)  # one line per header
    table = runner.invoke(app, ["eval", "rag", "--qa", str(qa)])
    assert table.exit_code == 0, table.output
    for header in ("price exact", "cited hit@1", "refused", "context recall", "semantic"):
        assert header in table.stdout
    # Without --corpus there are no reference passages: no context scores.
    assert "— (0 rows)" in table.stdout


def test_eval_rag_with_a_missing_corpus_folder_says_so(demo_home: Path, tmp_path: Path) -> None:
    qa = tmp_path / "demo_qa.jsonl"
    qa.write_text(json.dumps(DEMO_QA[0]) + "\n")
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["eval", "rag", "--qa", str(qa), "--corpus", str(missing)])
    assert result.exit_code == 1
    assert "nowhere is not a folder" in result.stderr
