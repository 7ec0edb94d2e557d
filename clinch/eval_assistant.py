"""`clinch eval rag`: ask the assistant every QA question and score its answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
    is_price_row,
    price_exact,
    recommend_floor,
    score_answers,
)
from evals.qa import QARow, load_qa
from evals.ragas_metrics import RagasRow, evidence_passage, score_rows, summarise
from ingestion.chunking import chunk_document
from ingestion.errors import IngestionError
from ingestion.sources import load_source
from leads.errors import ClinchError


class NothingIngested(ClinchError):
    """The vector store holds no documents to answer from."""


class CorpusNotFound(ClinchError):
    """The corpus folder given for reference passages does not exist."""


def _passages(path: Path, *, settings: Settings, count_tokens: Callable[[str], int]) -> list[str]:
    try:
        doc = load_source(path, max_bytes=settings.max_file_bytes, company=settings.company_name)
    except (IngestionError, OSError):
        # A gold file that is gone or unreadable gives no reference passage for its row.
        return []
    chunks = chunk_document(
        doc,
        count_tokens=count_tokens,
        max_tokens=settings.chunking.max_tokens,
        overlap_tokens=settings.chunking.overlap_tokens,
    )
    return [c.text for c in chunks]


def reference_contexts(
    rows: Sequence[QARow],
    *,
    corpus: Path,
    settings: Settings,
    count_tokens: Callable[[str], int],
) -> list[tuple[str, ...]]:
    """Return, per row, the evidence passage of each of its gold files (none when unanswerable).

    The files are read under `corpus` and chunked as `clinch ingest` chunks them, so a reference
    passage is as long as a retrieved one: ragas's Levenshtein-based context metrics cannot match
    a passage with a whole file or a one-line gold answer.
    """
    if not corpus.is_dir():
        raise CorpusNotFound(f"{corpus} is not a folder (--corpus: where source_paths start)")
    cache: dict[Path, list[str]] = {}
    references: list[tuple[str, ...]] = []
    for row in rows:
        found: list[str] = []
        for rel in row.source_paths if row.answerable else ():
            path = corpus / rel
            if path not in cache:
                cache[path] = _passages(path, settings=settings, count_tokens=count_tokens)
            passage = evidence_passage(cache[path], row.gold_answer)
            if passage is not None:
                found.append(passage)
        references.append(tuple(found))
    return references


def ask_rows(rows: Sequence[QARow], *, tools: AgentTools) -> list[AnswerRecord]:
    """Ask the assistant each row's question as a new prospect would."""
    records: list[AnswerRecord] = []
    for row in rows:
        answer = answer_turn(row.question, tools=tools)
        records.append(
            AnswerRecord(
                row=row,
                answer=answer.answer,
                # In `[n]` order: the rank of a citation is its number.
                cited_sources=tuple(c.source for c in sorted(answer.citations, key=lambda c: c.n)),
                not_covered=answer.not_covered,
                answered_by=answer.answered_by,
                confidence=answer.confidence,
                similarity=answer.similarity,
                coverage=answer.coverage,
                unknown_words=answer.unknown_words,
                retrieved_sources=answer.retrieved_sources,
                contexts=answer.contexts,
            )
        )
    return records


def _row(record: AnswerRecord, ragas: RagasRow | None) -> dict[str, Any]:
    r = record
    return {
        "id": r.row.id,
        "answerable": r.row.answerable,
        "not_covered": r.not_covered,
        "answered_by": r.answered_by,
        "confidence": r.confidence,
        "similarity": r.similarity,
        "coverage": r.coverage,
        "cited": list(r.cited_sources),
        "retrieved": list(r.retrieved_sources),
        "price_exact": (price_exact(r.answer, r.row.gold_answer) if is_price_row(r.row) else None),
        "ragas": asdict(ragas) if ragas else None,
    }


def _rows(records: Sequence[AnswerRecord], ragas: Sequence[RagasRow]) -> Iterator[dict[str, Any]]:
    # ragas scores the answerable records only, in order.
    scored = iter(ragas)
    for record in records:
        yield _row(record, next(scored, None) if record.row.answerable else None)


def _evaluate(
    name: str,
    records: Sequence[AnswerRecord],
    ragas: Sequence[RagasRow],
    *,
    current: float,
    k: int,
) -> dict[str, Any]:
    points = calibrate_floor(records, min_coverage=MIN_TERM_COVERAGE)
    best = recommend_floor(points, current=current)
    now = next((p for p in points if abs(p.floor - current) < 1e-9), None)
    return {
        "qa": name,
        "score": asdict(score_answers(records, k=k)),
        "ragas": asdict(summarise(ragas)),
        "floor": {
            "current": current,
            "current_point": asdict(now) if now else None,
            "recommended": asdict(best) if best else None,
            "calibration": [asdict(p) for p in points],
        },
        "rows": list(_rows(records, ragas)),
    }


def evaluate_assistant(
    settings: Settings,
    qa: Sequence[Path],
    *,
    corpus: Path | None,
    k: int,
    console: Console,
) -> list[dict[str, Any]]:
    """Answer every QA set's questions over what is ingested and score each set (and all).

    `corpus` is the folder the sets' source_paths start from: without it, ragas's context
    metrics have no reference passages and are left out.
    """
    sets = [(path.name, load_qa(path)) for path in qa]
    clients = open_clients(settings)
    try:
        if clients.store.count() == 0:
            raise NothingIngested(
                f"nothing is ingested in {settings.resolved_home}: run `clinch ingest DOCS "
                "--visibility public` there first (for the Railway sets: "
                "`clinch ingest ../shared/corpus/railway/content --visibility public`)"
            )
        count_tokens = clients.embedder.count_tokens
        references = [
            reference_contexts(rows, corpus=corpus, settings=settings, count_tokens=count_tokens)
            if corpus is not None
            else [() for _ in rows]
            for _, rows in sets
        ]
        tools = build_agent_tools(settings, clients)
        current = tools.min_confidence
        asked: list[tuple[str, list[AnswerRecord], list[RagasRow]]] = []
        for (name, rows), refs in zip(sets, references, strict=True):
            with console.status(f"asking {len(rows)} questions from {name}"):
                records = ask_rows(rows, tools=tools)
            with console.status(f"scoring {name} with ragas"):
                ragas = score_rows(records, references=refs, embedder=clients.embedder)
            asked.append((name, records, ragas))
    finally:
        clients.close()
    results = [_evaluate(n, records, ragas, current=current, k=k) for n, records, ragas in asked]
    if len(asked) > 1:
        everything = [r for _, records, _ in asked for r in records]
        scored = [r for _, _, ragas in asked for r in ragas]
        results.append(_evaluate("all", everything, scored, current=current, k=k))
    return results


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ranks(rank: dict[str, Any]) -> str:
    return f"{_pct(rank['hit_at_1'])} / {_pct(rank['hit_at_k'])} / {_pct(rank['mrr'])}"


def _print_scores(console: Console, results: Sequence[dict[str, Any]]) -> None:
    k = results[0]["score"]["cited"]["k"] if results else 5
    answers = Table(
        "qa set", "rows (ans/unans)", "answered", "citation hit", f"cited hit@1 / @{k} / MRR",
        "price exact", "figure recall", "token F1", "refused (unans.)",
        "confidence median (ans/unans)", title="answers",
    )  # fmt: skip
    for r in results:
        s = r["score"]
        conf_a, conf_u = s["confidence_answerable"], s["confidence_unanswerable"]
        answers.add_row(
            r["qa"],
            f"{s['answerable']}/{s['unanswerable']}",
            _pct(s["answered_rate"]),
            _pct(s["citation_hit_rate"]),
            _ranks(s["cited"]),
            f"{_pct(s['price_exact_rate'])} ({s['price_rows']} rows)",
            f"{_pct(s['figure_recall'])} ({s['figure_rows']} rows)",
            _pct(s["token_f1"]),
            f"{s['declined']}/{s['unanswerable']} ({_pct(s['abstention_rate'])})",
            f"{_pct(conf_a and conf_a['median'])}/{_pct(conf_u and conf_u['median'])}",
        )
    console.print(answers)
    ragas = Table(
        "qa set", f"retrieved hit@1 / @{k} / MRR", "context recall", "context precision",
        "string similarity", "semantic similarity", title="retrieval and ragas (answerable rows)",
    )  # fmt: skip
    for r in results:
        g, retrieved = r["ragas"], r["score"]["retrieved"]
        ragas.add_row(
            r["qa"],
            f"{_ranks(retrieved)} ({retrieved['rows']} rows)",
            f"{_pct(g['context_recall'])} ({g['context_rows']} rows)",
            _pct(g["context_precision"]),
            _pct(g["string_similarity"]),
            _pct(g["semantic_similarity"]),
        )
    console.print(ragas)


def print_assistant_eval(console: Console, results: Sequence[dict[str, Any]]) -> None:
    """Print the scores, the floor calibration and the recommended floor."""
    _print_scores(console, results)
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
