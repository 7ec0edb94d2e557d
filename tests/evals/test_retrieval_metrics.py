"""Retrieval metrics and QA loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.qa import InvalidQASet, QARow, load_qa
from evals.retrieval_metrics import first_hit_rank, score_retrieval, source_matches

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def _row(qid: str, paths: tuple[str, ...], *, answerable: bool = True) -> QARow:
    return QARow(
        id=qid,
        question=f"q {qid}",
        gold_answer="",
        source_paths=paths,
        answerable=answerable,
        kind="",
    )


def test_source_matches_on_path_boundaries() -> None:
    assert source_matches("docs/pricing/plans.md", "content/docs/pricing/plans.md")
    assert source_matches("content/docs/pricing/plans.md", "docs/pricing/plans.md")
    assert not source_matches("docs/pricing/plans.md", "content/docs/pricing/other-plans.md")
    assert not source_matches("plans.md", "content/docs/pricing/myplans.md")


def test_first_hit_rank_is_one_based() -> None:
    assert first_hit_rank(["a.md", "b.md", "c.md"], ["x/c.md"]) == 3
    assert first_hit_rank(["a.md"], ["b.md"]) is None


def test_score_counts_only_answerable_rows() -> None:
    rows = [_row("1", ("a.md",)), _row("2", ("b.md",)), _row("3", (), answerable=False)]
    ranked = {"q 1": ["a.md"], "q 2": ["z.md", "b.md"], "q 3": ["a.md"]}
    score = score_retrieval(rows, retrieve=lambda q: ranked[q], mode="hybrid", k=5)
    assert score.rows == 2
    assert score.hit_at_k == 1.0
    assert score.mrr == pytest.approx((1 + 0.5) / 2)


def test_score_respects_k() -> None:
    rows = [_row("1", ("b.md",))]
    score = score_retrieval(rows, retrieve=lambda q: ["a.md", "b.md"], mode="dense", k=1)
    assert score.hit_at_k == 0.0
    assert score.misses == ("1",)


def test_load_qa_reads_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "why?", "source_paths": ["a.md"]}) + "\n\n")
    rows = load_qa(path)
    assert rows[0].source_paths == ("a.md",)
    assert rows[0].answerable


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "has no rows"), ("{not json\n", "line 1"), ('{"question": "no id"}\n', "line 1")],
)
def test_load_qa_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(content)
    with pytest.raises(InvalidQASet, match=message):
        load_qa(path)


def test_load_qa_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidQASet, match="does not exist"):
        load_qa(tmp_path / "nope.jsonl")


@pytest.mark.corpus
@pytest.mark.skipif(not (SHARED / "qa").exists(), reason="needs ../shared/qa (not in the repo)")
def test_shared_dev_set_loads() -> None:
    rows = load_qa(SHARED / "qa" / "railway_dev_qa.jsonl")
    assert len(rows) == 60
    assert sum(r.answerable for r in rows) == 50
