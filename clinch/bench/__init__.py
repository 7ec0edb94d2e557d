"""Benchmarks: every figure is a ratio to a reference measured in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from clinch.settings import Settings
from leads.errors import ClinchError


class BenchmarkUnavailable(ClinchError):
    """A benchmark's data is missing or its name is unknown."""


def default_corpus() -> Path:
    """Return ../shared/corpus/railway/content beside the repository."""
    return Path(__file__).resolve().parents[3] / "shared" / "corpus" / "railway" / "content"


BENCHMARKS = ("retrieval", "scoring", "assistant", "routing", "nurture", "nurture-faults")


def run_benchmark(
    name: str,
    *,
    settings: Settings,
    corpus: Path | None,
    big: int,
    rows: int,
    events: int,
    console: Console,
    enrollments: int = 100_000,
    steps: int = 10_000,
    kills: int = 20,
) -> dict[str, Any]:
    """Run the named benchmark and print its table."""
    if name not in BENCHMARKS:
        raise BenchmarkUnavailable(
            f"unknown benchmark {name!r}: available: {', '.join(BENCHMARKS)}"
        )
    if name == "nurture":
        from clinch.bench.nurture_bench import run_nurture_bench

        return run_nurture_bench(enrollments=enrollments, console=console)
    if name == "nurture-faults":
        from clinch.bench.nurture_faults import run_nurture_faults

        return run_nurture_faults(steps=steps, kills=kills, settings=settings, console=console)
    if name == "routing":
        from clinch.bench.routing_bench import run_routing_bench

        return run_routing_bench(events=events, console=console)
    if name == "scoring":
        from clinch.bench.scoring_bench import run_scoring_bench

        return run_scoring_bench(settings=settings, rows=rows, events=events, console=console)
    folder = corpus or default_corpus()
    if not folder.exists():
        raise BenchmarkUnavailable(
            f"{folder} is missing: the {name} benchmark needs ../shared/corpus/railway"
        )
    if name == "assistant":
        from clinch.bench.assistant_bench import run_assistant_bench

        return run_assistant_bench(settings=settings, corpus=folder, console=console)
    from clinch.bench.retrieval_bench import run_retrieval_bench

    return run_retrieval_bench(settings=settings, corpus=folder, big=big, console=console)
