"""BM25 term weights as sparse vectors; Qdrant applies the IDF part (Modifier.IDF)."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from functools import lru_cache

import snowballstemmer

from retrieval.schemas import SparseVector

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "do",
        "does",
        "can",
    ]
)
_K1 = 1.2
_B = 0.75
_AVG_LEN = 120.0
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _term_id(term: str) -> int:
    # A stable 31-bit hash, so ids are the same in every process and run.
    return zlib.crc32(term.encode()) & 0x7FFFFFFF


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def terms(text: str) -> list[str]:
    """Return the stemmed, stop-word-free terms of a text."""
    stems = (_stem(w) for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS)
    return [s for s in stems if s not in STOPWORDS]


def document_vector(text: str) -> SparseVector:
    """Return the BM25 term-frequency weights of a document."""
    counts = Counter(terms(text))
    length = sum(counts.values())
    norm = _K1 * (1 - _B + _B * length / _AVG_LEN)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        idx = _term_id(term)
        weights[idx] = weights.get(idx, 0.0) + tf * (_K1 + 1) / (tf + norm)
    ordered = sorted(weights.items())
    return SparseVector(tuple(i for i, _ in ordered), tuple(v for _, v in ordered))


def query_vector(text: str) -> SparseVector:
    """Return the query's unique terms, each with weight 1."""
    ids = sorted({_term_id(t) for t in terms(text)})
    return SparseVector(tuple(ids), tuple(1.0 for _ in ids))
