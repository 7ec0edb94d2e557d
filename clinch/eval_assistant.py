"""`clinch eval rag`: ask the assistant every QA question and score its answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from assistant.agent import AgentTools, answer_turn
from assistant.coverage import MIN_TERM_COVERAGE
from clinch.assistant_wiring import build_agent_tools
from clinch.settings import Settings
from clinch.wiring import open_clients
from evals.answer_metrics import (
    AnswerRecord,
    FloorPoint,
    calibrate_floor,
    recommend_floor,
    score_answers,
)
from evals.qa import QARow, load_qa
from leads.errors import ClinchError


class NothingIngested(ClinchError):
    """The vector store holds no documents to answer from."""


def ask_rows(rows: Sequence[QARow], *, tools: AgentTools) -> list[AnswerRecord]:
    """Ask the assistant each row's question as a new prospect would."""
    records: list[AnswerRecord] = []
    for row in rows:
        answer = answer_turn(row.question, tools=tools)
        records.append(
            AnswerRecord(
                row=row,
                answer=answer.answer,
                cited_sources=tuple(c.source for c in answer.citations),
                not_covered=answer.not_covered,
                answered_by=answer.answered_by,
                confidence=answer.confidence,
                similarity=answer.similarity,
                coverage=answer.coverage,
            )
        )
    return records


def _evaluate(name: str, records: Sequence[AnswerRecord], *, current: float) -> dict[str, Any]:
    points = calibrate_floor(records, min_coverage=MIN_TERM_COVERAGE)
    best = recommend_floor(points, current=current)
    now = next((p for p in points if abs(p.floor - current) < 1e-9), None)
    return {
        "qa": name,
        "score": asdict(score_answers(records)),
        "floor": {
            "current": current,
            "current_point": asdict(now) if now else None,
            "recommended": asdict(best) if best else None,
            "calibration": [asdict(p) for p in points],
        },
        "rows": [
            {
                "id": r.row.id,
                "answerable": r.row.answerable,
                "not_covered": r.not_covered,
                "answered_by": r.answered_by,
                "confidence": r.confidence,
                "similarity": r.similarity,
                "coverage": r.coverage,
                "cited": list(r.cited_sources),
            }
            for r in records
        ],
    }


def evaluate_assistant(
    settings: Settings, qa: Sequence[Path], *, console: Console
) -> list[dict[str, Any]]:
    """Answer every QA set's questions over what is ingested and score each set (and all)."""
    sets = [(path.name, load_qa(path)) for path in qa]
    clients = open_clients(settings)
    try:
        if clients.store.count() == 0:
            raise NothingIngested(
                f"nothing is ingested in {settings.resolved_home}: run `clinch ingest DOCS "
                "--visibility public` there first (for the Railway sets: "
                "`clinch ingest ../shared/corpus/railway/content --visibility public`)"
            )
        tools = build_agent_tools(settings, clients)
        current = tools.min_confidence
        asked: list[tuple[str, list[AnswerRecord]]] = []
        for name, rows in sets:
            with console.status(f"asking {len(rows)} questions from {name}"):
                asked.append((name, ask_rows(rows, tools=tools)))
    finally:
        clients.close()
    results = [_evaluate(name, records, current=current) for name, records in asked]
    if len(asked) > 1:
        everything = [r for _, records in asked for r in records]
        results.append(_evaluate("all", everything, current=current))
    return results


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_assistant_eval(console: Console, results: Sequence[dict[str, Any]]) -> None:
    """Print the scores, the floor calibration and the recommended floor."""
    table = Table(
        "qa set", "rows (ans/unans)", "answered", "citation hit", "figure recall", "token F1",
        "abstained", "confidence median (ans/unans)",
    )  # fmt: skip
    for r in results:
        s = r["score"]
        conf_a, conf_u = s["confidence_answerable"], s["confidence_unanswerable"]
        table.add_row(
            r["qa"],
            f"{s['answerable']}/{s['unanswerable']}",
            _pct(s["answered_rate"]),
            _pct(s["citation_hit_rate"]),
            f"{_pct(s['figure_recall'])} ({s['figure_rows']} rows)",
            _pct(s["token_f1"]),
            _pct(s["abstention_rate"]),
            f"{_pct(conf_a and conf_a['median'])}/{_pct(conf_u and conf_u['median'])}",
        )
    console.print(table)
    for r in results:
        floor = r["floor"]
        if floor["recommended"] is None:
            continue
        calibration = Table(
            "floor", "answered (answerable)", "abstained (unanswerable)", "balanced"
        )
        for p in (FloorPoint(**p) for p in floor["calibration"]):
            mark = " ←" if p.floor == floor["recommended"]["floor"] else ""
            mark += " (now)" if abs(p.floor - floor["current"]) < 1e-9 else ""
            calibration.add_row(
                f"{p.floor:.3f}{mark}",
                _pct(p.answered_rate),
                _pct(p.abstention_rate),
                _pct(p.balanced_accuracy),
            )
        console.print(f"[bold]confidence floor on {r['qa']}[/]")
        console.print(calibration)
        best, now = floor["recommended"], floor["current_point"]
        console.print(
            f"recommended floor for {r['qa']}: [bold]{best['floor']:.3f}[/] "
            f"(balanced accuracy {best['balanced_accuracy']:.3f}; now {floor['current']:.3f}"
            + (f" → {now['balanced_accuracy']:.3f})" if now else ")")
        )
