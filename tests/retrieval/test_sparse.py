"""BM25 sparse vectors: terms, stable ids, saturating weights, flat query weights."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from retrieval.schemas import SparseVector
from retrieval.sparse import document_vector, query_vector, terms

# BM25's k1: a term's weight approaches k1 + 1 however often it repeats.
_WEIGHT_CEILING = 2.2


def _weight(vector: SparseVector, word: str) -> float:
    (index,) = query_vector(word).indices
    return dict(zip(vector.indices, vector.values, strict=True))[index]


def test_terms_are_lowercased_and_stemmed() -> None:
    assert terms("The running DOGS are running") == ["run", "dog", "run"]
    assert terms("Pricing prices priced") == ["price", "price", "price"]


def test_terms_drop_stop_words() -> None:
    assert terms("what is the price of a seat for you and your team") == ["price", "seat", "team"]
    assert terms("the and of to") == []


def test_terms_keep_prices_versions_and_codes() -> None:
    assert terms("Team is $8.50 per seat") == ["team", "8.50", "per", "seat"]
    assert terms("QS-HARBOR-20") == ["qs", "harbor", "20"]
    assert terms("api v2.1.3") == ["api", "v2.1.3"]


def test_inflections_share_a_term_id() -> None:
    assert query_vector("integrations").indices == query_vector("integration").indices
    assert query_vector("pricing").indices == query_vector("prices").indices
    assert query_vector("pricing").indices != query_vector("seats").indices


def test_term_ids_are_a_stable_golden_value() -> None:
    # Ids are stored in every index: a change of hash silently breaks existing collections.
    assert query_vector("pricing") == SparseVector((1254630105,), (1.0,))


def test_term_ids_are_the_same_in_another_process() -> None:
    # Python's own str hash is salted per process; the ids must not depend on it.
    script = "from retrieval.sparse import document_vector as d; print(d('Team plan price'))"
    child = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert child.stdout.strip() == repr(document_vector("Team plan price"))


def test_vectors_are_deterministic_and_sorted() -> None:
    text = "Seats, storage and Quill AI queries: seats are billed per month."
    first, second = document_vector(text), document_vector(text)
    assert first == second
    assert list(first.indices) == sorted(set(first.indices))
    assert len(first.indices) == len(first.values)
    assert set(first.indices) == set(query_vector(text).indices)


def test_repeating_a_term_raises_its_weight_sublinearly() -> None:
    weights = [_weight(document_vector("invoice " * tf), "invoice") for tf in (1, 2, 4, 8, 64)]

    assert weights == sorted(weights)
    assert len(set(weights)) == len(weights)
    gains = [b - a for a, b in itertools.pairwise(weights)]
    assert gains == sorted(gains, reverse=True)
    assert weights[1] < 2 * weights[0]
    assert weights[-1] < _WEIGHT_CEILING


def test_a_term_weighs_less_in_a_longer_document() -> None:
    short = document_vector("refund policy")
    long = document_vector("refund " + " ".join(f"word{i}" for i in range(300)))
    assert _weight(long, "refund") < _weight(short, "refund")


def test_document_weights_are_positive() -> None:
    vector = document_vector("Business plan with SSO, SCIM and a 99.9% SLA")
    assert vector.values
    assert all(v > 0 for v in vector.values)


@pytest.mark.parametrize(
    "text",
    ["team plan price", "price price price team", "Is the TEAM plan, and its price, for you?"],
)
def test_query_vector_has_unique_terms_of_weight_one(text: str) -> None:
    vector = query_vector(text)
    assert vector.values == (1.0,) * len(vector.indices)
    assert list(vector.indices) == sorted(set(vector.indices))
    assert set(vector.indices) <= set(query_vector("team plan price").indices)


def test_text_without_terms_gives_empty_vectors() -> None:
    assert document_vector("") == SparseVector((), ())
    assert query_vector("the and of ... !!!") == SparseVector((), ())
