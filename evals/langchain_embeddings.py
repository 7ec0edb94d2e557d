"""Our embedder behind LangChain's `Embeddings` interface, for libraries that take one (ragas)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from retrieval.embedder import Embedder


class EmbedderEmbeddings(Embeddings):
    """LangChain embeddings computed by a Clinch `Embedder` (local MiniLM, no model hub)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages as unit vectors."""
        return [[float(x) for x in row] for row in self._embedder.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query as a unit vector."""
        return [float(x) for x in self._embedder.embed_query(text)]
