"""The real embedder behind a cache of its vectors, shared by the whole session."""

from __future__ import annotations

import numpy as np

from retrieval.embedder import FloatMatrix, SentenceEmbedder


class CachedEmbedder:
    """The real embedder, remembering its vectors so a text is embedded once per session."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self._inner = inner
        self._vectors: dict[str, np.ndarray] = {}
        self._tokens: dict[str, int] = {}

    @property
    def dimension(self) -> int:
        """Return the vector size."""
        return self._inner.dimension

    @property
    def name(self) -> str:
        """Return the inner embedder's name (it decides the ingest fingerprint)."""
        return self._inner.name

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        """Embed the texts not seen before, and return every text's vector."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._inner.embed_documents(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def embed_query(self, text: str) -> FloatMatrix:
        """Embed one query (cached like a document: the model does not tell them apart)."""
        return np.asarray(self.embed_documents([text])[0], dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Return the inner tokenizer's count, cached."""
        if text not in self._tokens:
            self._tokens[text] = self._inner.count_tokens(text)
        return self._tokens[text]
