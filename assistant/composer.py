"""The offline answerer: an answer made only of the retrieved passages' own sentences.

No text is invented. Each sentence of a retrieved chunk is scored by its cosine similarity to the
question (the same MiniLM embedder as retrieval) plus a small bonus for sharing the question's
content words; the best few, from at most three pages and never two near-duplicates, become the
answer, each followed by the `[n]` of its page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.schemas import Citation, Draft
from retrieval.embedder import Embedder
from retrieval.schemas import RetrievedChunk
from retrieval.sparse import STOPWORDS

MAX_SENTENCES = 3
MAX_PAGES = 3
MIN_WORDS = 4  # words, not table pipes
MAX_SENTENCE_CHARS = 400
LEXICAL_WEIGHT = 0.15
DUPLICATE_SIMILARITY = 0.9
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[`*])")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|`|^#+\s*|^\s*[-*+]\s+|^\s*\d+\.\s+)", re.MULTILINE)
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


def clean(text: str) -> str:
    """Return passage text without Markdown links, emphasis, heading and list markers."""
    return _MARKUP.sub("", _LINK.sub(r"\1", text)).strip()


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences and lines (list items and table rows stay whole)."""
    out: list[str] = []
    for line in text.splitlines():
        line = clean(line)
        if not line or (line.startswith("|") and set(line) <= set("|-: ")):
            continue
        out += [s.strip() for s in _SPLIT.split(line) if s.strip()]
    return out


def content_words(text: str) -> set[str]:
    """Return a text's lowercased words without stop words."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def candidates(
    question: str, chunks: Sequence[RetrievedChunk], *, embedder: Embedder
) -> list[Candidate]:
    """Score every usable sentence of the chunks against the question, best first."""
    found = [
        (i, s)
        for i, chunk in enumerate(chunks)
        for s in split_sentences(chunk.text)
        if len(_WORD.findall(s.lower())) >= MIN_WORDS and len(s) <= MAX_SENTENCE_CHARS
    ]
    if not found:
        return []
    query = embedder.embed_query(question)
    vectors = embedder.embed_documents([s for _, s in found])
    similarity = vectors @ query
    asked = content_words(question)
    scored = [
        Candidate(i, s, float(sim) + LEXICAL_WEIGHT * _overlap(asked, s), float(sim), vector)
        for (i, s), sim, vector in zip(found, similarity, vectors, strict=True)
    ]
    return sorted(scored, key=lambda c: -c.score)


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
