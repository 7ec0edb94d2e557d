"""A LangChain retriever over the same search, for chains and agents."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.embedder import Embedder
from retrieval.schemas import Audience, RetrievedChunk, SearchMode
from retrieval.search import search
from retrieval.store import VectorStore


def to_document(chunk: RetrievedChunk) -> Document:
    """Return a chunk as a LangChain Document with its citation metadata."""
    return Document(
        page_content=chunk.text,
        id=chunk.id,
        metadata={
            "title": chunk.title,
            "source": chunk.source,
            "url": chunk.url,
            "heading_path": list(chunk.heading_path),
            "visibility": chunk.visibility,
            "score": chunk.score,
        },
    )


class ClinchRetriever(BaseRetriever):
    """Hybrid search for one audience as a LangChain BaseRetriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    embedder: Any
    store: Any
    audience: Audience = "prospect"
    k: int = 5
    mode: SearchMode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        embedder: Embedder = self.embedder
        store: VectorStore = self.store
        chunks = search(
            query, embedder=embedder, store=store, audience=self.audience, k=self.k, mode=self.mode
        )
        return [to_document(c) for c in chunks]
