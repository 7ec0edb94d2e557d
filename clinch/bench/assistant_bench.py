"""Offline assistant latency on the Railway corpus: a whole answer against retrieval alone."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from assistant.agent import AgentTools, answer_turn
from clinch.assistant_wiring import build_agent_tools
from clinch.settings import Settings
from clinch.tasks import ingest_options, run_ingest
from clinch.wiring import open_clients
from leads.migrate import upgrade
from retrieval.search import search

_DEV_QA = "railway_dev_qa.jsonl"
_ROUNDS = 3


def _questions(corpus: Path) -> list[str]:
    path = corpus.parents[2] / "qa" / _DEV_QA
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [str(row["question"]) for row in rows]


def _home(settings: Settings, corpus: Path, console: Console) -> Settings:
    """Return settings of a home holding the ingested corpus.

    The first run ingests it (minutes); later runs re-ingest incrementally, which skips every
    unchanged file by its hash and re-embeds all of them once after a pipeline change.
    """
    home = settings.resolved_home / "bench" / "railway-home"
    bench = Settings(home=home, _env_file=None, embedder=settings.embedder)
    home.mkdir(parents=True, exist_ok=True)
    upgrade(bench.sqlalchemy_url)
    console.print(f"  ingesting {corpus} into {home} (minutes the first time, then incremental)")
    clients = open_clients(bench)
    try:
        options = ingest_options(bench, visibility="public", base_url=None, force=False)
        run_ingest(clients, corpus, options, listener=None)
    finally:
        clients.close()
    return bench


def _timed(tools: AgentTools, questions: list[str]) -> tuple[list[float], list[float]]:
    retrieval: list[float] = []
    answers: list[float] = []
    for q in questions[:5]:  # warm-up
        answer_turn(q, tools=tools)
    for _ in range(_ROUNDS):
        for q in questions:
            started = time.perf_counter()
            search(q, embedder=tools.embedder, store=tools.store, audience="prospect", k=tools.k)
            searched = time.perf_counter()
            answer_turn(q, tools=tools)
            answered = time.perf_counter()
            retrieval.append((searched - started) * 1000)
            answers.append((answered - searched) * 1000)
    return retrieval, answers


def run_assistant_bench(*, settings: Settings, corpus: Path, console: Console) -> dict[str, Any]:
    """Time offline answers and the retrieval call alone on the dev questions; print the table."""
    bench = _home(settings, corpus, console)
    questions = _questions(corpus)
    clients = open_clients(bench)
    try:
        tools = build_agent_tools(bench, clients)
        retrieval, answers = _timed(tools, questions)
    finally:
        clients.close()
    r50, r95 = (float(np.percentile(retrieval, p)) for p in (50, 95))
    a50, a95 = (float(np.percentile(answers, p)) for p in (50, 95))
    result = {
        "questions": len(questions),
        "rounds": _ROUNDS,
        "retrieval_ms": {"p50": round(r50, 1), "p95": round(r95, 1)},
        "answer_ms": {"p50": round(a50, 1), "p95": round(a95, 1)},
        "answer_p95_ratio_to_retrieval_p95": round(a95 / r95, 2),
    }
    table = Table(title="Assistant (offline composer) on the Railway corpus")
    for column in ("figure", "p50", "p95", "ratio (p95)"):
        table.add_column(column)
    table.add_row("retrieval call alone", f"{r50:.1f} ms", f"{r95:.1f} ms", "1.00")
    table.add_row("whole answer", f"{a50:.1f} ms", f"{a95:.1f} ms", f"{a95 / r95:.2f}")
    console.print(table)
    return result
