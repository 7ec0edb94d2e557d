"""Whether retrieved passages cover a question: by meaning, and by the question's own words.

MiniLM similarity alone does not separate "does it integrate with GitHub?" from "can it file my
tax return?" on a product's docs (both land near 0.56), because every product page is about the
product. So a question also needs most of its own content terms (stemmed, stop words and the
company's name left out) to appear in the passages retrieved for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.schemas import RetrievedChunk
from retrieval.sparse import terms

MIN_TERM_COVERAGE = 0.5
# Words every question may use that say nothing about what it asks.
_GENERIC = frozenset(terms("use using get have has need want way also please tell know many much"))


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
