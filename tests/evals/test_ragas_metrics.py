"""ragas's offline metrics, run for real on hand-built records with known scores."""

from __future__ import annotations

import numpy as np
import pytest

from evals.answer_metrics import AnswerRecord
from evals.langchain_embeddings import EmbedderEmbeddings
from evals.qa import QARow
from evals.ragas_metrics import RagasRow, evidence_passage, score_rows, summarise
from retrieval.embedder import FloatMatrix, SentenceEmbedder

PRO = "The Pro plan costs $20 per month and includes $20 of usage credit."
HOBBY = "Hobby workspaces get five dollars of credit each month, billed by the minute."
# Pairwise Levenshtein similarity of these three passages is 0.21–0.26: below 0.5, no match.
VOLUMES = "Volumes keep data across deploys; each service can mount one volume."


class TableEmbedder:
    """An embedder with fixed vectors, so cosine similarities are known exactly."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = vectors

    @property
    def dimension(self) -> int:
        return 2

    @property
    def name(self) -> str:
        return "table"

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        return np.asarray([self._vectors[t] for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> FloatMatrix:
        vector: FloatMatrix = self.embed_documents([text])[0]
        return vector

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _record(
    qid: str,
    *,
    answer: str,
    gold: str,
    contexts: tuple[str, ...] = (),
    answerable: bool = True,
    answered_by: str = "extractive",
) -> AnswerRecord:
    row = QARow(qid, f"q {qid}", gold, ("docs/pricing.md",), answerable, "pricing")
    return AnswerRecord(
        row=row,
        answer=answer,
        cited_sources=(),
        not_covered=False,
        answered_by=answered_by,
        confidence=0.7,
        similarity=0.7,
        coverage=1.0,
        retrieved_sources=tuple("docs/pricing.md" for _ in contexts),
        contexts=contexts,
    )


def test_ragas_scores_hand_built_records() -> None:
    embedder = TableEmbedder({"kitten": [1.0, 0.0], "sitting": [0.6, 0.8], "same": [0.0, 1.0]})
    records = [
        # One of two reference passages retrieved (with a typo), first: recall 1/2, precision 1.
        _record(
            "a1", answer="kitten", gold="sitting", contexts=(PRO.replace("$20", "$2O"), VOLUMES)
        ),
        # The reference passage retrieved second, after a miss: precision (0 + 1/2) / 1.
        _record("a2", answer="same", gold="same", contexts=(VOLUMES, HOBBY)),
        # A catalog answer has no passages: no context scores, still answer scores.
        _record("c1", answer="same", gold="same", answered_by="catalog"),
        _record("u1", answer="same", gold="same", contexts=(PRO,), answerable=False),
    ]
    references = [(PRO, HOBBY), (HOBBY,), (PRO,), ()]
    rows = score_rows(records, references=references, embedder=embedder)
    assert [r.id for r in rows] == ["a1", "a2", "c1"]
    a1, a2, c1 = rows
    assert a1.context_recall == pytest.approx(0.5)
    assert a1.context_precision == pytest.approx(1.0, abs=1e-6)
    # kitten → sitting: 3 Levenshtein edits over 7 characters.
    assert a1.string_similarity == pytest.approx(round(1 - 3 / 7, 4))
    assert a1.semantic_similarity == pytest.approx(0.6, abs=1e-4)
    assert a2.context_recall == pytest.approx(1.0)
    assert a2.context_precision == pytest.approx(0.5, abs=1e-6)
    assert a2.string_similarity == 1.0
    assert a2.semantic_similarity == pytest.approx(1.0)
    assert (c1.context_recall, c1.context_precision) == (None, None)
    assert c1.string_similarity == 1.0

    score = summarise(rows)
    assert (score.rows, score.context_rows) == (3, 2)
    assert score.context_recall == pytest.approx(0.75)
    assert score.context_precision == pytest.approx(0.75, abs=1e-4)
    assert score.semantic_similarity == pytest.approx((0.6 + 1 + 1) / 3, abs=1e-4)


def test_rows_without_reference_passages_get_no_context_scores() -> None:
    embedder = TableEmbedder({"same": [0.0, 1.0]})
    rows = score_rows(
        [_record("a1", answer="same", gold="same", contexts=(PRO,))],
        references=[()],
        embedder=embedder,
    )
    assert rows == [RagasRow("a1", None, None, 1.0, 1.0)]
    assert summarise([]).context_recall is None


def test_evidence_passage_is_the_one_covering_most_gold_words() -> None:
    passages = [VOLUMES, HOBBY, PRO]
    assert evidence_passage(passages, "Pro costs $20 a month") == PRO
    # "credit" and "month" are in both: ties go to the earlier passage
    assert evidence_passage(passages, "credit, month") == HOBBY
    assert evidence_passage([], "Pro") is None
    assert evidence_passage(passages, "the and of") is None


@pytest.mark.slow  # loads the real MiniLM
def test_semantic_similarity_with_the_local_minilm(embedder: SentenceEmbedder) -> None:
    gold = "The Pro plan costs $20 per month."
    records = [
        _record("same", answer=gold, gold=gold),
        _record("close", answer="Pro is twenty dollars a month.", gold=gold),
        _record("far", answer="Volumes persist data between deploys.", gold=gold),
    ]
    same, close, far = score_rows(records, references=[(), (), ()], embedder=embedder)
    assert same.semantic_similarity == pytest.approx(1.0, abs=1e-4)
    assert close.semantic_similarity > far.semantic_similarity + 0.2
    vector = EmbedderEmbeddings(embedder).embed_query(gold)
    assert len(vector) == 384
    assert sum(x * x for x in vector) == pytest.approx(1.0, abs=1e-4)
