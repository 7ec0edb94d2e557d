"""The offline answerer: an answer made only of the retrieved passages' own sentences.

No text is invented. Each sentence of a retrieved chunk is scored by its cosine similarity to the
question (the same MiniLM embedder as retrieval) plus a small bonus for sharing the question's
content words; the best few, from at most three pages and never two near-duplicates, become the
answer, each followed by the `[n]` of its page. Sentence vectors come from the chunk's payload
(embedded at ingest); only chunks ingested without them are embedded here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.schemas import Citation, Draft
from retrieval.embedder import Embedder
from retrieval.schemas import RetrievedChunk
from retrieval.sentences import quotable_sentences
from retrieval.sparse import STOPWORDS

MAX_SENTENCES = 3
MAX_PAGES = 3
LEXICAL_WEIGHT = 0.15
DUPLICATE_SIMILARITY = 0.9
_WORD = re.compile(r"[a-z0-9]+")
_STOP = STOPWORDS | {"i", "me", "my", "we", "our", "which", "who", "why", "when", "where"}


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved chunk and how well it answers the question."""

    chunk: int
    text: str
    score: float
    similarity: float
    vector: np.ndarray = field(compare=False, repr=False)


def content_words(text: str) -> set[str]:
    """Return a text's lowercased words without stop words."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def candidates(
    question: str, chunks: Sequence[RetrievedChunk], *, embedder: Embedder
) -> list[Candidate]:
    """Score every quotable sentence of the chunks against the question, best first."""
    found, vectors = _sentence_vectors(chunks, embedder=embedder)
    if not found:
        return []
    similarity = vectors @ embedder.embed_query(question)
    asked = content_words(question)
    scored = [
        Candidate(i, s, float(sim) + LEXICAL_WEIGHT * _overlap(asked, s), float(sim), vector)
        for (i, s), sim, vector in zip(found, similarity, vectors, strict=True)
    ]
    return sorted(scored, key=lambda c: -c.score)


def _sentence_vectors(
    chunks: Sequence[RetrievedChunk], *, embedder: Embedder
) -> tuple[list[tuple[int, str]], np.ndarray]:
    """Return (chunk index, sentence) pairs and their vectors: stored ones, else embedded now."""
    found: list[tuple[int, str]] = []
    parts: list[np.ndarray] = []
    for i, chunk in enumerate(chunks):
        if chunk.sentence_vectors is not None:
            found += [(i, s) for s in chunk.sentences]
            parts.append(chunk.sentence_vectors)
            continue
        missing = quotable_sentences(chunk.text)
        if missing:
            found += [(i, s) for s in missing]
            parts.append(embedder.embed_documents(missing))
    if not found:
        return [], np.zeros((0, embedder.dimension), dtype=np.float32)
    return found, np.vstack(parts)


def _overlap(asked: set[str], sentence: str) -> float:
    if not asked:
        return 0.0
    return len(asked & content_words(sentence)) / len(asked)


def _pick(ranked: Sequence[Candidate]) -> list[Candidate]:
    chosen: list[Candidate] = []
    vectors: list[np.ndarray] = []
    pages: set[int] = set()
    for candidate in ranked:
        if len(chosen) == MAX_SENTENCES:
            break
        if candidate.chunk not in pages and len(pages) == MAX_PAGES:
            continue
        if any(float(candidate.vector @ v) >= DUPLICATE_SIMILARITY for v in vectors):
            continue
        chosen.append(candidate)
        vectors.append(candidate.vector)
        pages.add(candidate.chunk)
    return chosen


def compose(
    question: str,
    chunks: Sequence[RetrievedChunk],
    *,
    embedder: Embedder,
    ranked: Sequence[Candidate] | None = None,
) -> Draft:
    """Answer with the chunks' best sentences, each cited `[n]` by its page; empty if none."""
    best = _pick(ranked if ranked is not None else candidates(question, chunks, embedder=embedder))
    numbers: dict[int, int] = {}
    parts: list[str] = []
    for candidate in best:
        n = numbers.setdefault(candidate.chunk, len(numbers) + 1)
        sentence = candidate.text if candidate.text[-1:] in ".!?:" else f"{candidate.text}."
        parts.append(f"{sentence} [{n}]")
    citations = tuple(
        Citation(n=n, title=chunks[i].title, url=chunks[i].url, source=chunks[i].source)
        for i, n in numbers.items()
    )
    return Draft(text=" ".join(parts), citations=citations)
