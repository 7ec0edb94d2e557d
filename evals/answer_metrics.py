"""Answer quality: answered and refusal rates, citation ranks, figures, prices, and the floor.

Pure functions over `AnswerRecord`s: the loop that asks the assistant lives in `clinch/`, so this
package never imports a sibling use case.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from evals.qa import QARow
from evals.retrieval_metrics import first_hit_rank, source_matches
from retrieval.sparse import STOPWORDS

# "$5,000", "2,400", "4.6", "99.9%": a figure is digits with thousands commas and one decimal part.
_FIGURE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# "$5", "$0.10/GB", "$ 2,000": a price is a figure right after a dollar sign.
_PRICE = re.compile(r"\$\s?(\d+(?:,\d{3})*(?:\.\d+)?)")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# The thresholds `clinch eval assistant` tries for the confidence floor: 0.30 to 0.70.
FLOOR_GRID: tuple[float, ...] = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))
DOCS_ANSWERERS = frozenset({"extractive", "llm"})


@dataclass(frozen=True)
class AnswerRecord:
    """What the assistant said to one QA row, with what the row expected."""

    row: QARow
    answer: str
    cited_sources: tuple[str, ...]
    not_covered: bool
    answered_by: str
    confidence: float
    similarity: float
    coverage: float
    # Rare words of the question found on no page: declined whatever the floor.
    unknown_words: tuple[str, ...] = ()
    # Docs answers only: the retrieved passages' sources and texts, in rank order.
    retrieved_sources: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()

    @property
    def from_docs(self) -> bool:
        """Return True when the answer went through the docs path, where the floor applies."""
        return self.not_covered or self.answered_by in DOCS_ANSWERERS


@dataclass(frozen=True)
class Distribution:
    """Summary of a set of values."""

    n: int
    min: float
    p25: float
    median: float
    p75: float
    max: float
    mean: float


@dataclass(frozen=True)
class FloorPoint:
    """How the assistant would do on a QA set if the confidence floor were `floor`."""

    floor: float
    answered_rate: float | None
    abstention_rate: float | None
    balanced_accuracy: float | None


@dataclass(frozen=True)
class RankScore:
    """hit@1, hit@k and MRR of ranked source lists against the rows' gold files."""

    rows: int
    k: int
    hit_at_1: float | None
    hit_at_k: float | None
    mrr: float | None
    misses: tuple[str, ...]


@dataclass(frozen=True)
class AnswerScore:
    """Answer quality on one QA set."""

    answerable: int
    unanswerable: int
    answered_rate: float | None
    citation_hit_rate: float | None
    figure_recall: float | None
    figure_rows: int
    token_f1: float | None
    cited: RankScore
    retrieved: RankScore
    price_exact_rate: float | None
    price_rows: int
    price_misses: tuple[str, ...]
    abstention_rate: float | None
    declined: int
    answered_by: dict[str, int]
    confidence_answerable: Distribution | None
    confidence_unanswerable: Distribution | None
    similarity_answerable: Distribution | None
    similarity_unanswerable: Distribution | None
    misses: tuple[str, ...]
    false_answers: tuple[str, ...]


def _normalised(number: str) -> str:
    number = number.replace(",", "")
    return number.rstrip("0").rstrip(".") if "." in number else number


def figures(text: str) -> set[str]:
    """Return the numbers written in a text, normalised ("$5,000" → "5000", "20.00" → "20")."""
    return {_normalised(match) for match in _FIGURE.findall(text)}


def prices(text: str) -> set[str]:
    """Return the dollar amounts written in a text, normalised as `figures` normalises them."""
    return {_normalised(match) for match in _PRICE.findall(text)}


def is_price_row(row: QARow) -> bool:
    """Return True for an answerable row about pricing, or whose gold answer states a price."""
    priced = row.kind == "pricing" or bool(prices(row.gold_answer))
    return row.answerable and priced and bool(figures(row.gold_answer))


def price_exact(answer: str, gold: str) -> bool:
    """Return True when every gold figure is in the answer, and every gold price as a price."""
    return figures(gold) <= figures(answer) and prices(gold) <= prices(answer)


def figure_recall(answer: str, gold: str) -> float | None:
    """Return the share of the gold figures the answer states (None if the gold has none)."""
    wanted = figures(gold)
    if not wanted:
        return None
    return len(wanted & figures(answer)) / len(wanted)


def token_f1(answer: str, gold: str) -> float:
    """Return the F1 of the words the answer shares with the gold answer (SQuAD style)."""
    said, wanted = Counter(_WORD.findall(answer.lower())), Counter(_WORD.findall(gold.lower()))
    common = sum((said & wanted).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(said.values()), common / sum(wanted.values())
    return 2 * precision * recall / (precision + recall)


def content_words(text: str) -> set[str]:
    """Return the distinct lower-cased words of a text, stop words left out."""
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def citation_hit(cited: Sequence[str], gold: Sequence[str]) -> bool:
    """Return True when any cited source is one of the gold source files."""
    return any(source_matches(c, g) for c in cited for g in gold)


def rank_score(ranked: Sequence[tuple[str, Sequence[str], Sequence[str]]], *, k: int) -> RankScore:
    """Score (row id, ranked sources, gold sources) triples: hit@1, hit@k and MRR over all k."""
    ranks = [(qid, first_hit_rank(list(sources)[:k], gold)) for qid, sources, gold in ranked]
    return RankScore(
        rows=len(ranks),
        k=k,
        hit_at_1=_mean([rank == 1 for _, rank in ranks]),
        hit_at_k=_mean([rank is not None for _, rank in ranks]),
        mrr=_mean([1.0 / rank if rank else 0.0 for _, rank in ranks]),
        misses=tuple(qid for qid, rank in ranks if rank is None),
    )


def distribution(values: Sequence[float]) -> Distribution | None:
    """Return min, quartiles, max and mean of the values (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    q1, q2, q3 = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else ordered * 3
    return Distribution(
        n=len(ordered),
        min=round(ordered[0], 4),
        p25=round(q1, 4),
        median=round(q2, 4),
        p75=round(q3, 4),
        max=round(ordered[-1], 4),
        mean=round(statistics.fmean(ordered), 4),
    )


def _mean(values: Sequence[float | bool]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def score_answers(records: Sequence[AnswerRecord], *, k: int = 5) -> AnswerScore:
    """Score the assistant's answers on one QA set (ranks of cited and retrieved sources at k)."""
    answerable = [r for r in records if r.row.answerable]
    unanswerable = [r for r in records if not r.row.answerable]
    sourced = [r for r in answerable if r.row.source_paths]
    recalls = [
        v for r in answerable if (v := figure_recall(r.answer, r.row.gold_answer)) is not None
    ]
    priced = [r for r in answerable if is_price_row(r.row)]
    exact = [price_exact(r.answer, r.row.gold_answer) for r in priced]
    # Retrieval ranks exist only where the docs were searched: catalog answers are left out.
    searched = [r for r in sourced if r.from_docs]
    return AnswerScore(
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answered_rate=_mean([float(not r.not_covered) for r in answerable]),
        citation_hit_rate=_mean(
            [float(citation_hit(r.cited_sources, r.row.source_paths)) for r in sourced]
        ),
        figure_recall=_mean(recalls),
        figure_rows=len(recalls),
        token_f1=_mean([token_f1(r.answer, r.row.gold_answer) for r in answerable]),
        cited=rank_score([(r.row.id, r.cited_sources, r.row.source_paths) for r in sourced], k=k),
        retrieved=rank_score(
            [(r.row.id, r.retrieved_sources, r.row.source_paths) for r in searched], k=k
        ),
        price_exact_rate=_mean(exact),
        price_rows=len(priced),
        price_misses=tuple(r.row.id for r, ok in zip(priced, exact, strict=True) if not ok),
        abstention_rate=_mean([float(r.not_covered) for r in unanswerable]),
        declined=sum(r.not_covered for r in unanswerable),
        answered_by=dict(sorted(Counter(r.answered_by for r in records).items())),
        confidence_answerable=distribution([r.confidence for r in answerable]),
        confidence_unanswerable=distribution([r.confidence for r in unanswerable]),
        similarity_answerable=distribution([r.similarity for r in answerable if r.from_docs]),
        similarity_unanswerable=distribution([r.similarity for r in unanswerable if r.from_docs]),
        misses=tuple(r.row.id for r in answerable if r.not_covered),
        false_answers=tuple(r.row.id for r in unanswerable if not r.not_covered),
    )


def answered_at(record: AnswerRecord, floor: float, *, min_coverage: float) -> bool:
    """Return whether the record would be answered (not "not covered") under another floor."""
    if not record.from_docs:
        return not record.not_covered
    if record.unknown_words:
        return False
    return record.similarity >= floor and record.coverage >= min_coverage


def calibrate_floor(
    records: Sequence[AnswerRecord],
    *,
    min_coverage: float,
    floors: Sequence[float] = FLOOR_GRID,
) -> list[FloorPoint]:
    """Return answered rate, abstention rate and their mean for each candidate floor."""
    answerable = [r for r in records if r.row.answerable]
    unanswerable = [r for r in records if not r.row.answerable]
    points: list[FloorPoint] = []
    for floor in floors:
        answered = [answered_at(r, floor, min_coverage=min_coverage) for r in answerable]
        abstained = [not answered_at(r, floor, min_coverage=min_coverage) for r in unanswerable]
        answered_rate, abstention_rate = _mean(answered), _mean(abstained)
        balanced = (
            _mean([statistics.fmean(answered), statistics.fmean(abstained)])
            if answered and abstained
            else None
        )
        points.append(FloorPoint(floor, answered_rate, abstention_rate, balanced))
    return points


def recommend_floor(points: Sequence[FloorPoint], *, current: float) -> FloorPoint | None:
    """Return the floor with the best balanced accuracy; ties go to the one nearest `current`."""
    scored = [p for p in points if p.balanced_accuracy is not None]
    if not scored:
        return None
    return max(scored, key=lambda p: (p.balanced_accuracy, -abs(p.floor - current)))
