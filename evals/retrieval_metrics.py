"""Retrieval quality: hit@k and MRR of the sources a search returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.qa import QARow


@dataclass(frozen=True)
class RetrievalScore:
    """hit@k and MRR over the answerable rows of a QA set."""

    mode: str
    k: int
    rows: int
    hit_at_k: float
    mrr: float
    misses: tuple[str, ...]


def source_matches(returned: str, gold: str) -> bool:
    """Return True when a returned source path names the same file as a gold path."""
    a, b = returned.strip("/"), gold.strip("/")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def first_hit_rank(sources: Sequence[str], gold: Sequence[str]) -> int | None:
    """Return the 1-based rank of the first returned source in gold, if any."""
    for rank, source in enumerate(sources, 1):
        if any(source_matches(source, g) for g in gold):
            return rank
    return None


def score_retrieval(
    rows: Sequence[QARow], *, retrieve: Callable[[str], list[str]], mode: str, k: int
) -> RetrievalScore:
    """Score a retrieve function (question → ranked source paths) on answerable rows."""
    answerable = [r for r in rows if r.answerable and r.source_paths]
    hits, reciprocal, misses = 0, 0.0, []
    for row in answerable:
        rank = first_hit_rank(retrieve(row.question)[:k], row.source_paths)
        if rank is None:
            misses.append(row.id)
        else:
            hits += 1
            reciprocal += 1.0 / rank
    n = max(1, len(answerable))
    return RetrievalScore(mode, k, len(answerable), hits / n, reciprocal / n, tuple(misses))
