"""`clinch eval`: quality on QA sets."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clinch.cli_output import print_json
from clinch.eval_assistant import evaluate_assistant, print_assistant_eval
from clinch.settings import get_settings
from clinch.wiring import open_clients
from evals.qa import load_qa
from evals.retrieval_metrics import RetrievalScore, score_retrieval
from leads.errors import ClinchError
from retrieval.schemas import SearchMode
from retrieval.search import search

eval_app = typer.Typer(help="Evaluate quality on QA sets.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")


@eval_app.command("retrieval")
def retrieval(
    qa: Annotated[list[Path], typer.Option(help="QA set (JSONL); repeat for several")],
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """hit@k and MRR for dense, sparse and hybrid search over what is ingested now."""
    clients = open_clients(get_settings())
    results: list[dict[str, object]] = []
    try:
        for path in qa:
            rows = load_qa(path)
            for mode in MODES:

                def retrieve(question: str, mode: SearchMode = mode) -> list[str]:
                    chunks = search(
                        question,
                        embedder=clients.embedder,
                        store=clients.store,
                        audience="prospect",
                        k=k,
                        mode=mode,
                    )
                    return [c.source for c in chunks]

                score = score_retrieval(rows, retrieve=retrieve, mode=mode, k=k)
                results.append({"qa": path.name, **asdict(score)})
    finally:
        clients.close()
    if as_json:
        print_json(console, results)
        return
    table = Table("qa set", "mode", "rows", f"hit@{k}", "MRR")
    for r in results:
        table.add_row(
            str(r["qa"]), str(r["mode"]), str(r["rows"]), f"{r['hit_at_k']:.3f}", f"{r['mrr']:.3f}"
        )
    console.print(table)


@eval_app.command("rag")
@eval_app.command("assistant", hidden=True)
def assistant(
    qa: Annotated[list[Path], typer.Option(help="QA set (JSONL); repeat for several")],
    corpus: Annotated[
        Path | None,
        typer.Option(
            help="Folder the source_paths start from, for ragas's context metrics "
            "(the Railway sets: ../shared/corpus/railway)"
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer rates, citation ranks, prices, refusals, ragas metrics and the confidence floor.

    Answers from what is ingested in CLINCH_HOME now: ingest the QA set's corpus first.
    """
    # ragas posts a usage event from every metric and embedding call: off, the eval runs offline.
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    try:
        results = evaluate_assistant(get_settings(), qa, corpus=corpus, k=k, console=err)
    except ClinchError as exc:
        err.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        print_json(console, results)
        return
    print_assistant_eval(console, results)


__all__ = ["RetrievalScore", "eval_app"]
