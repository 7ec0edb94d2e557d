"""Search: embed the query, run it inside the audience filter, return RetrievedChunks."""

from __future__ import annotations

from retrieval.embedder import Embedder
from retrieval.errors import InvalidQuery
from retrieval.schemas import AUDIENCE_VISIBILITY, Audience, RetrievedChunk, SearchMode, StoredHit
from retrieval.sentences import unpack_vectors
from retrieval.sparse import query_vector
from retrieval.store import VectorQuery, VectorStore

MAX_QUERY_CHARS = 2000
MAX_K = 100
# With a per-source cap, this many candidates per wanted result are fetched before collapsing.
OVERFETCH = 4


def _to_chunk(hit: StoredHit, *, dimension: int) -> RetrievedChunk:
    p = hit.payload
    vectors = unpack_vectors(p.sentence_vectors, rows=len(p.sentences), dimension=dimension)
    return RetrievedChunk(
        id=hit.id,
        text=p.text,
        title=p.title,
        source=p.source,
        url=p.url,
        heading_path=p.heading_path,
        visibility=p.visibility,
        score=hit.score,
        sentences=p.sentences if vectors is not None else (),
        sentence_vectors=vectors,
    )


def search(
    query: str,
    *,
    embedder: Embedder,
    store: VectorStore,
    audience: Audience,
    k: int = 5,
    mode: SearchMode = "hybrid",
    per_source: int | None = 1,
) -> list[RetrievedChunk]:
    """Return the k best chunks the audience may see, at most `per_source` from one page."""
    text = query.strip()
    if not text:
        raise InvalidQuery("the query is empty: type a question or keywords")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    if not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be between 1 and {MAX_K} (got {k})")
    if audience not in AUDIENCE_VISIBILITY:
        raise InvalidQuery(f"unknown audience {audience!r}: use 'prospect' or 'rep'")
    if per_source is not None and per_source < 1:
        raise InvalidQuery(f"per_source must be at least 1 (got {per_source})")
    dense = embedder.embed_query(text) if mode != "sparse" else [0.0] * embedder.dimension
    vector_query = VectorQuery(
        dense=[float(x) for x in dense],
        sparse=query_vector(text),
        visibilities=AUDIENCE_VISIBILITY[audience],
        limit=k if per_source is None else min(MAX_K * OVERFETCH, k * OVERFETCH),
        mode=mode,
    )
    hits = store.query(vector_query)
    kept = _collapse(hits, per_source)[:k]
    return [_to_chunk(hit, dimension=embedder.dimension) for hit in kept]


def _collapse(hits: list[StoredHit], per_source: int | None) -> list[StoredHit]:
    """Keep at most per_source hits of each source page, in rank order."""
    if per_source is None:
        return hits
    seen: dict[str, int] = {}
    kept: list[StoredHit] = []
    for hit in hits:
        n = seen.get(hit.payload.source_key, 0)
        if n < per_source:
            kept.append(hit)
            seen[hit.payload.source_key] = n + 1
    return kept
