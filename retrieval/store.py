"""The vector store interface both Qdrant backends implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from retrieval.schemas import IndexedChunk, SearchMode, SparseVector, StoredHit, Visibility

DENSE = "dense"
SPARSE = "bm25"
# Tuned on the Railway dev QA set (docs/retrieval-tuning.md): a small RRF constant and a
# heavier dense branch; Qdrant applies weights to ranks: 1 / ((rank + 1) / w + k - 1).
RRF_K = 5
DENSE_WEIGHT = 3.0
SPARSE_WEIGHT = 1.0
# Each branch of a hybrid query fetches this many candidates per requested result.
PREFETCH_FACTOR = 4
PREFETCH_MIN = 100


@dataclass(frozen=True)
class VectorQuery:
    """One search: both vectors, the visibilities allowed, and how many hits."""

    dense: Sequence[float]
    sparse: SparseVector
    visibilities: tuple[Visibility, ...]
    limit: int
    mode: SearchMode = "hybrid"

    @property
    def prefetch_limit(self) -> int:
        """Return how many candidates each branch fetches before fusion."""
        return max(PREFETCH_MIN, self.limit * PREFETCH_FACTOR)


class VectorStore(Protocol):
    """A Qdrant collection of chunks: dense + sparse vectors, payload indexes."""

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None: ...

    def delete_source(self, source_key: str, *, keep_doc_hash: str | None = None) -> None: ...

    def query(self, query: VectorQuery) -> list[StoredHit]: ...

    def count(self, *, source_key: str | None = None) -> int: ...

    def source_keys(self) -> set[str]: ...

    def close(self) -> None: ...
