"""Whether retrieved passages cover a question: by meaning, and by the question's own words.

MiniLM similarity alone does not separate "does it integrate with GitHub?" from "can it file my
tax return?" on a product's docs (both land near 0.56), because every product page is about the
product. So a question also needs most of its own content terms (stemmed, stop words and the
company's name left out) to appear in the passages retrieved for it.

And a question that names a thing the docs never mention (a standard, a vendor, an acronym:
"SCIM", "FedRAMP", "Bitbucket") is not covered however close its other words come: such a word
is rare in English (`wordfreq`), not a typo of a word in the passages, and found in no page the
prospect may see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne
from wordfreq import zipf_frequency

from retrieval.schemas import RetrievedChunk
from retrieval.sparse import STOPWORDS, terms

MIN_TERM_COVERAGE = 0.5
# Words every question may use that say nothing about what it asks.
_GENERIC = frozenset(terms("use using get have has need want way also please tell know many much"))
# Zipf frequency (log10 of uses per billion words): "headcount" is 2.4, "partway" 2.4,
# "bitbucket" 1.7, "scim" 1.4, "fedramp" 1.0; everyday words are 4 and up.
RARE_ZIPF = 2.0
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")


def term_coverage(question: str, chunks: Sequence[RetrievedChunk], *, company: str) -> float:
    """Return the share of the question's content terms found in the passages (1.0 if none)."""
    ignored = _GENERIC | set(terms(company))
    asked = {t for t in terms(question) if t not in ignored and len(t) > 1}
    if not asked:
        return 1.0
    present: set[str] = set()
    for chunk in chunks:
        present.update(terms(f"{chunk.title} {chunk.text}"))
    return len(asked & present) / len(asked)


def _typo_limit(word: str) -> int:
    return 1 if len(word) < 9 else 2


def unknown_words(
    question: str,
    chunks: Sequence[RetrievedChunk],
    *,
    company: str,
    in_docs: Callable[[str], bool],
) -> list[str]:
    """Return the question's rare words that no passage and no page of the docs mentions."""
    words = {w for w in _WORD.findall(question.lower()) if w not in STOPWORDS and len(w) > 2}
    words -= set(_WORD.findall(company.lower()))
    rare = sorted(w for w in words if zipf_frequency(w, "en") < RARE_ZIPF)
    if not rare:
        return []
    text = " ".join(f"{c.title} {c.text}" for c in chunks).lower()
    stems, seen = set(terms(text)), set(_WORD.findall(text))
    unknown: list[str] = []
    for word in rare:
        if set(terms(word)) <= stems:
            continue
        limit = _typo_limit(word)
        if extractOne(word, seen, scorer=Levenshtein.distance, score_cutoff=limit) is not None:
            continue  # a misspelling of a word the passages use
        if not in_docs(word):
            unknown.append(word)
    return unknown
