"""ragas's offline answer metrics (no LLM): context recall and precision, string and meaning.

`NonLLMContextRecall` and `NonLLMContextPrecisionWithReference` compare the retrieved passages
with reference passages by Levenshtein similarity (a match is above 0.5);
`NonLLMStringSimilarity` is 1 − the normalised Levenshtein distance of answer and gold answer;
`SemanticSimilarity` is the cosine of their embeddings by our own MiniLM. These are ragas 0.4.3's
single-turn metrics (`ragas.metrics`, scored with `single_turn_ascore`); the newer
`ragas.metrics.collections` ones take no LangChain embeddings.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evals.answer_metrics import AnswerRecord, content_words
from evals.langchain_embeddings import EmbedderEmbeddings
from retrieval.embedder import Embedder


@dataclass(frozen=True)
class RagasRow:
    """ragas's scores for one answerable row (context scores None without passages to compare)."""

    id: str
    context_recall: float | None
    context_precision: float | None
    string_similarity: float
    semantic_similarity: float


@dataclass(frozen=True)
class RagasScore:
    """ragas's scores averaged over the answerable rows of a QA set."""

    rows: int
    context_rows: int
    context_recall: float | None
    context_precision: float | None
    string_similarity: float | None
    semantic_similarity: float | None


def evidence_passage(passages: Sequence[str], gold: str) -> str | None:
    """Return the passage holding the largest share of the gold answer's content words.

    A QA row names its gold files, not passages: the passage of a gold file that best covers the
    gold answer stands in for the reference context (ties go to the earlier passage).
    """
    wanted = content_words(gold)
    if not passages or not wanted:
        return None
    return max(passages, key=lambda p: len(wanted & content_words(p)))


def _ragas_metrics(embedder: Embedder) -> tuple[Any, Any, Any, Any]:
    # Imported here: ragas takes seconds to import, and only this command needs it.
    with warnings.catch_warnings():
        # The single-turn metrics and the LangChain wrapper are deprecated in 0.4 (still current).
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.embeddings import LangchainEmbeddingsWrapper
        from ragas.metrics import (
            NonLLMContextPrecisionWithReference,
            NonLLMContextRecall,
            NonLLMStringSimilarity,
            SemanticSimilarity,
        )

        embeddings = LangchainEmbeddingsWrapper(EmbedderEmbeddings(embedder))
        return (
            NonLLMContextRecall(),
            NonLLMContextPrecisionWithReference(),
            NonLLMStringSimilarity(),
            SemanticSimilarity(embeddings=embeddings),
        )


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


async def _score_rows(
    records: Sequence[AnswerRecord],
    references: Sequence[Sequence[str]],
    embedder: Embedder,
) -> list[RagasRow]:
    from ragas import SingleTurnSample

    recall, precision, string, semantic = _ragas_metrics(embedder)
    rows: list[RagasRow] = []
    for record, reference in zip(records, references, strict=True):
        if not record.row.answerable:
            continue
        answer = SingleTurnSample(response=record.answer, reference=record.row.gold_answer)
        context_recall = context_precision = None
        if record.contexts and reference:
            passages = SingleTurnSample(
                retrieved_contexts=list(record.contexts), reference_contexts=list(reference)
            )
            context_recall = _finite(await recall.single_turn_ascore(passages))
            context_precision = _finite(await precision.single_turn_ascore(passages))
        rows.append(
            RagasRow(
                id=record.row.id,
                context_recall=context_recall,
                context_precision=context_precision,
                string_similarity=round(float(await string.single_turn_ascore(answer)), 4),
                semantic_similarity=round(float(await semantic.single_turn_ascore(answer)), 4),
            )
        )
    return rows


def score_rows(
    records: Sequence[AnswerRecord],
    *,
    references: Sequence[Sequence[str]],
    embedder: Embedder,
) -> list[RagasRow]:
    """Score each answerable record with ragas; references[i] are record i's reference passages.

    Answers with no retrieved passages (catalog answers) or rows with no reference passages get
    no context scores; every answerable row gets the two answer-vs-gold scores.
    """
    return asyncio.run(_score_rows(records, references, embedder))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def summarise(rows: Sequence[RagasRow]) -> RagasScore:
    """Average ragas's row scores over the rows that have them."""
    return RagasScore(
        rows=len(rows),
        context_rows=sum(r.context_recall is not None for r in rows),
        context_recall=_mean([r.context_recall for r in rows]),
        context_precision=_mean([r.context_precision for r in rows]),
        string_similarity=_mean([r.string_similarity for r in rows]),
        semantic_similarity=_mean([r.semantic_similarity for r in rows]),
    )
