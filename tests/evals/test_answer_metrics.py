"""Answer metrics: rates, citations, figures, and the confidence-floor calibration."""

from __future__ import annotations

import pytest

from evals.answer_metrics import (
    FLOOR_GRID,
    AnswerRecord,
    FloorPoint,
    answered_at,
    calibrate_floor,
    citation_hit,
    distribution,
    figure_recall,
    figures,
    is_price_row,
    price_exact,
    prices,
    rank_score,
    recommend_floor,
    score_answers,
    token_f1,
)
from evals.qa import QARow


def _record(
    qid: str,
    *,
    answerable: bool = True,
    answer: str = "",
    gold: str = "",
    sources: tuple[str, ...] = ("content/docs/pricing/plans.md",),
    cited: tuple[str, ...] = (),
    not_covered: bool = False,
    answered_by: str = "extractive",
    similarity: float = 0.6,
    coverage: float = 1.0,
    retrieved: tuple[str, ...] = (),
    kind: str = "",
) -> AnswerRecord:
    row = QARow(
        id=qid,
        question=f"q {qid}",
        gold_answer=gold,
        source_paths=sources if answerable else (),
        answerable=answerable,
        kind=kind,
    )
    return AnswerRecord(
        row=row,
        answer=answer,
        cited_sources=cited,
        not_covered=not_covered,
        answered_by="fixed" if not_covered else answered_by,
        confidence=similarity,
        similarity=similarity,
        coverage=coverage,
        retrieved_sources=retrieved,
    )


def test_figures_are_normalised() -> None:
    assert figures("$5,000/month, 48 vCPU, Opus 4.6 and $20.00") == {"5000", "48", "4.6", "20"}
    assert figures("no numbers here") == set()
    assert figures("99.90% uptime") == {"99.9"}


def test_figure_recall_counts_gold_figures_in_the_answer() -> None:
    gold = "$5 on Hobby, $20 on Pro, 2,400 vCPU"
    assert figure_recall("Hobby includes $5 and Pro $20 [1]", gold) == pytest.approx(2 / 3)
    assert figure_recall("up to 2400 vCPU", gold) == pytest.approx(1 / 3)
    assert figure_recall("anything", "no figures at all") is None


def test_token_f1() -> None:
    assert token_f1("the Pro plan", "the Pro plan") == pytest.approx(1.0)
    assert token_f1("", "the Pro plan") == 0.0
    # "pro plan" shared: precision 2/4, recall 2/2
    assert token_f1("Pro plan costs more", "pro plan") == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_citation_hit_matches_on_path_boundaries() -> None:
    gold = ("content/docs/pricing/plans.md",)
    assert citation_hit(("docs/pricing/plans.md",), gold)
    assert not citation_hit(("docs/pricing/other-plans.md",), gold)
    assert not citation_hit((), gold)


def test_distribution() -> None:
    d = distribution([0.1, 0.2, 0.3, 0.4, 0.5])
    assert d is not None
    assert (d.n, d.min, d.median, d.max, d.mean) == (5, 0.1, 0.3, 0.5, 0.3)
    single = distribution([0.7])
    assert single is not None
    assert single.p25 == single.p75 == 0.7
    assert distribution([]) is None


def test_score_answers_separates_answerable_and_unanswerable_rows() -> None:
    records = [
        _record(
            "a1", answer="Pro is $20 [1]", gold="$20 a month", cited=("docs/pricing/plans.md",)
        ),
        _record("a2", answer="Hobby is $5 [1]", gold="$5 and $10", cited=("docs/other.md",)),
        _record("a3", not_covered=True, gold="$7", answer="I couldn't find that"),
        _record("u1", answerable=False, not_covered=True, similarity=0.4),
        _record("u2", answerable=False, answer="SCIM is supported [1]", similarity=0.5),
    ]
    score = score_answers(records)
    assert (score.answerable, score.unanswerable) == (3, 2)
    assert score.answered_rate == pytest.approx(2 / 3, abs=1e-4)
    assert score.citation_hit_rate == pytest.approx(1 / 3, abs=1e-4)
    assert score.figure_recall == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert score.figure_rows == 3
    assert score.abstention_rate == 0.5
    assert score.misses == ("a3",)
    assert score.false_answers == ("u2",)
    assert score.answered_by == {"extractive": 3, "fixed": 2}
    assert score.similarity_unanswerable is not None
    assert score.similarity_unanswerable.median == pytest.approx(0.45)
    assert score.declined == 1
    # every answerable gold here states a price: a1 is exact, a2 misses $10, a3 declined
    assert score.price_rows == 3
    assert score.price_exact_rate == pytest.approx(1 / 3, abs=1e-4)
    assert score.price_misses == ("a2", "a3")
    assert score.cited.rows == 3
    assert score.cited.hit_at_1 == pytest.approx(1 / 3, abs=1e-4)
    assert score.cited.misses == ("a2", "a3")


def test_prices_and_price_exactness() -> None:
    assert prices("Pro is $20/month, $0.10/GB egress, $ 2,000 commit, 48 vCPU") == {
        "20",
        "0.1",
        "2000",
    }
    gold = "$5 on Hobby and $20 on Pro, up to 2,400 vCPU"
    assert price_exact("Hobby $5.00 [1], Pro $20 [2], 2400 vCPU", gold)
    assert not price_exact("Hobby $5 and Pro $20", gold)  # 2,400 is missing
    # a gold price must be stated as a price: "20 GB" is not "$20"
    assert not price_exact("$5 on Hobby, 20 GB on Pro, 2,400 vCPU", gold)
    assert price_exact("anything", "no figures")


def test_price_rows_are_pricing_rows_or_gold_prices_with_figures() -> None:
    def row(kind: str, gold: str, *, answerable: bool = True) -> QARow:
        return QARow("r", "q", gold, ("a.md",), answerable, kind)

    assert is_price_row(row("pricing", "Pro includes 8 vCPU"))
    assert is_price_row(row("billing", "It costs $0.10/GB"))
    assert not is_price_row(row("pricing", "No extra charge, on all plans"))
    assert not is_price_row(row("limits", "up to 50 replicas"))
    assert not is_price_row(row("unanswerable", "$5", answerable=False))


def test_rank_score_uses_the_first_matching_source() -> None:
    gold = ("content/docs/pricing/plans.md",)
    score = rank_score(
        [
            ("first", ("docs/pricing/plans.md", "docs/other.md"), gold),
            ("second", ("docs/other.md", "docs/pricing/plans.md"), gold),
            ("fourth", ("a.md", "b.md", "c.md", "docs/pricing/plans.md"), gold),
            ("none", (), gold),
        ],
        k=3,
    )
    assert (score.rows, score.k) == (4, 3)
    assert score.hit_at_1 == 0.25
    assert score.hit_at_k == 0.5  # the fourth-ranked hit is past k
    assert score.mrr == pytest.approx((1 + 0.5) / 4)
    assert score.misses == ("fourth", "none")
    assert rank_score([], k=5).mrr is None


def test_retrieval_ranks_leave_out_answers_that_searched_nothing() -> None:
    records = [
        _record("d", retrieved=("docs/x.md", "docs/pricing/plans.md")),
        _record("c", answered_by="catalog", retrieved=()),
        _record("n", not_covered=True, retrieved=("docs/pricing/plans.md",)),
    ]
    score = score_answers(records, k=5)
    assert score.retrieved.rows == 2
    assert score.retrieved.mrr == pytest.approx((0.5 + 1) / 2)
    assert score.cited.rows == 3
    assert score.cited.hit_at_k == 0.0


def test_score_answers_without_unanswerable_rows_has_no_abstention_rate() -> None:
    score = score_answers([_record("a1")])
    assert score.abstention_rate is None
    assert score.confidence_unanswerable is None


def test_answered_at_applies_the_floor_only_to_docs_answers() -> None:
    docs = _record("a", similarity=0.5)
    assert answered_at(docs, 0.45, min_coverage=0.5)
    assert not answered_at(docs, 0.55, min_coverage=0.5)
    # below the term-coverage bar no floor lets it through
    thin = _record("t", similarity=0.9, coverage=0.3)
    assert not answered_at(thin, 0.30, min_coverage=0.5)
    # an abstention at today's floor is answered at a lower one
    held = _record("h", not_covered=True, similarity=0.40)
    assert answered_at(held, 0.35, min_coverage=0.5)
    # catalog and fixed replies do not depend on the floor
    catalog = _record("c", answered_by="catalog", similarity=0.0)
    assert answered_at(catalog, 0.70, min_coverage=0.5)
    small_talk = _record("s", answered_by="fixed", similarity=0.0)
    assert answered_at(small_talk, 0.70, min_coverage=0.5)


def test_calibration_trades_answers_for_abstentions() -> None:
    records = [
        _record("a1", similarity=0.62),
        _record("a2", similarity=0.55),
        _record("a3", similarity=0.48),
        _record("u1", answerable=False, similarity=0.50),
        _record("u2", answerable=False, similarity=0.40),
    ]
    points = {p.floor: p for p in calibrate_floor(records, min_coverage=0.5)}
    assert list(points) == list(FLOOR_GRID)
    assert FLOOR_GRID[0] == 0.3
    assert FLOOR_GRID[-1] == 0.7
    assert points[0.3] == FloorPoint(0.3, 1.0, 0.0, 0.5)
    assert points[0.45] == FloorPoint(0.45, 1.0, 0.5, 0.75)
    assert points[0.525] == FloorPoint(0.525, 0.6667, 1.0, 0.8333)
    best = recommend_floor(list(points.values()), current=0.45)
    assert best is not None
    assert best.floor == 0.525


def test_recommend_floor_breaks_ties_towards_the_current_floor() -> None:
    points = [FloorPoint(f, 1.0, 1.0, 1.0) for f in (0.4, 0.45, 0.5, 0.55)]
    best = recommend_floor(points, current=0.52)
    assert best is not None
    assert best.floor == 0.5
    assert recommend_floor([FloorPoint(0.4, 1.0, None, None)], current=0.45) is None
