"""Values that leave the retrieval package."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Audience = Literal["prospect", "rep"]
Visibility = Literal["public", "internal"]
SearchMode = Literal["hybrid", "dense", "sparse"]

VISIBILITIES: tuple[Visibility, ...] = ("public", "internal")
# Which chunk visibilities each audience may see: the filter goes into the vector query itself.
AUDIENCE_VISIBILITY: dict[Audience, tuple[Visibility, ...]] = {
    "prospect": ("public",),
    "rep": ("public", "internal"),
}


@dataclass(frozen=True)
class SparseVector:
    """A sparse vector: term ids and their weights."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChunkPayload:
    """What is stored beside a chunk's vectors."""

    source_key: str
    root: str
    source: str
    title: str
    url: str | None
    heading_path: tuple[str, ...]
    visibility: Visibility
    doc_hash: str
    chunk_index: int
    text: str
    # The chunk's quotable sentences and their vectors (retrieval/sentences.py), packed.
    sentences: tuple[str, ...] = ()
    sentence_vectors: str = ""

    def to_dict(self) -> dict[str, object]:
        """Return the payload as plain JSON-able values."""
        return {
            "source_key": self.source_key,
            "root": self.root,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "heading_path": list(self.heading_path),
            "visibility": self.visibility,
            "doc_hash": self.doc_hash,
            "chunk_index": self.chunk_index,
            "text": self.text,
            "sentences": list(self.sentences),
            "sentence_vectors": self.sentence_vectors,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ChunkPayload:
        """Build a payload back from stored values."""
        heading = data.get("heading_path") or []
        sentences = data.get("sentences") or []
        visibility = str(data["visibility"])
        return cls(
            source_key=str(data["source_key"]),
            root=str(data["root"]),
            source=str(data["source"]),
            title=str(data["title"]),
            url=None if data.get("url") is None else str(data["url"]),
            heading_path=tuple(str(h) for h in heading) if isinstance(heading, list) else (),
            visibility="internal" if visibility == "internal" else "public",
            doc_hash=str(data["doc_hash"]),
            chunk_index=int(str(data["chunk_index"])),
            text=str(data["text"]),
            sentences=tuple(str(s) for s in sentences) if isinstance(sentences, list) else (),
            sentence_vectors=str(data.get("sentence_vectors") or ""),
        )


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk ready to be written: id, both vectors and payload."""

    id: str
    dense: tuple[float, ...]
    sparse: SparseVector
    payload: ChunkPayload


@dataclass(frozen=True)
class StoredHit:
    """A raw hit from a vector store."""

    id: str
    score: float
    payload: ChunkPayload


@dataclass(frozen=True)
class RetrievedChunk:
    """A chunk returned by search, with its score."""

    id: str
    text: str
    title: str
    source: str
    url: str | None
    heading_path: tuple[str, ...]
    visibility: Visibility
    score: float
    # Quotable sentences and their unit vectors (one row each) when ingestion stored them.
    sentences: tuple[str, ...] = ()
    sentence_vectors: npt.NDArray[np.float32] | None = field(
        default=None, compare=False, repr=False
    )

    def to_dict(self) -> dict[str, object]:
        """Return the chunk as JSON-able values (what the API and CLI print)."""
        return {
            "id": self.id,
            "score": self.score,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "heading_path": list(self.heading_path),
            "visibility": self.visibility,
            "text": self.text,
        }
