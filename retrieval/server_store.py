"""Production: a Qdrant server or cluster through qdrant-client (local mode in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qdrant_client import QdrantClient, models

from retrieval.errors import VectorStoreUnavailable
from retrieval.schemas import ChunkPayload, IndexedChunk, SparseVector, StoredHit
from retrieval.store import DENSE, DENSE_WEIGHT, RRF_K, SPARSE, SPARSE_WEIGHT, VectorQuery

_INDEXED_FIELDS = ("visibility", "source_key", "doc_hash")
_BATCH = 256
HNSW_EF = 128


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))


def _visibility_filter(query: VectorQuery) -> models.Filter:
    match = models.MatchAny(any=list(query.visibilities))
    return models.Filter(must=[models.FieldCondition(key="visibility", match=match)])


def _source_filter(source_key: str) -> models.FieldCondition:
    return models.FieldCondition(key="source_key", match=models.MatchValue(value=source_key))


class ServerStore:
    """A collection on a Qdrant server (url) or in qdrant-client's local mode (path)."""

    def __init__(
        self,
        *,
        collection: str,
        dimension: int,
        url: str | None = None,
        api_key: str | None = None,
        path: Path | None = None,
    ) -> None:
        self._collection = collection
        self._local = url is None
        try:
            if url is not None:
                self._client = QdrantClient(url=url, api_key=api_key, timeout=30)
            else:
                self._client = QdrantClient(path=str(path) if path else ":memory:")
            if not self._client.collection_exists(collection):
                self._create(dimension)
        except Exception as exc:
            raise VectorStoreUnavailable(f"cannot reach Qdrant ({url or path}): {exc}") from exc

    def _create(self, dimension: int) -> None:
        self._client.create_collection(
            self._collection,
            vectors_config={
                DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if self._local:
            return  # local mode has no payload indexes (it scans); a server needs them
        for field in _INDEXED_FIELDS:
            self._client.create_payload_index(
                self._collection, field, field_schema=models.PayloadSchemaType.KEYWORD
            )

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        """Write chunks (idempotent: ids are deterministic)."""
        for start in range(0, len(chunks), _BATCH):
            points = [
                models.PointStruct(
                    id=c.id,
                    vector={DENSE: list(c.dense), SPARSE: _sparse(c.sparse)},
                    payload=c.payload.to_dict(),
                )
                for c in chunks[start : start + _BATCH]
            ]
            self._client.upsert(self._collection, points=points, wait=True)

    def delete_source(self, source_key: str, *, keep_doc_hash: str | None = None) -> None:
        """Delete a source's chunks, except those of the version to keep."""
        must_not = None
        if keep_doc_hash is not None:
            keep = models.MatchValue(value=keep_doc_hash)
            must_not = [models.FieldCondition(key="doc_hash", match=keep)]
        flt = models.Filter(must=[_source_filter(source_key)], must_not=must_not)
        self._client.delete(self._collection, points_selector=models.FilterSelector(filter=flt))

    def query(self, query: VectorQuery) -> list[StoredHit]:
        """Run a dense, sparse or hybrid (RRF) query inside the visibility filter."""
        flt = _visibility_filter(query)
        # Local mode scans every point, so HNSW parameters would only draw a warning there.
        params = None if self._local else models.SearchParams(hnsw_ef=HNSW_EF)
        dense = list(query.dense)
        sparse = _sparse(query.sparse)
        if query.mode == "dense":
            result = self._client.query_points(
                self._collection,
                query=dense,
                using=DENSE,
                query_filter=flt,
                limit=query.limit,
                search_params=params,
                with_payload=True,
            )
        elif query.mode == "sparse":
            result = self._client.query_points(
                self._collection,
                query=sparse,
                using=SPARSE,
                query_filter=flt,
                limit=query.limit,
                with_payload=True,
            )
        else:
            n = query.prefetch_limit
            result = self._client.query_points(
                self._collection,
                prefetch=[
                    models.Prefetch(query=dense, using=DENSE, filter=flt, limit=n, params=params),
                    models.Prefetch(query=sparse, using=SPARSE, filter=flt, limit=n),
                ],
                query=models.RrfQuery(
                    rrf=models.Rrf(k=RRF_K, weights=[DENSE_WEIGHT, SPARSE_WEIGHT])
                ),
                query_filter=flt,
                limit=query.limit,
                with_payload=True,
            )
        return [
            StoredHit(str(p.id), float(p.score), ChunkPayload.from_dict(dict(p.payload or {})))
            for p in result.points
        ]

    def count(self, *, source_key: str | None = None) -> int:
        """Count chunks, of one source or all."""
        flt = None if source_key is None else models.Filter(must=[_source_filter(source_key)])
        return int(self._client.count(self._collection, count_filter=flt, exact=True).count)

    def source_keys(self) -> set[str]:
        """Return every source key with chunks in the store."""
        keys: set[str] = set()
        offset = None
        while True:
            records, offset = self._client.scroll(
                self._collection,
                limit=1000,
                offset=offset,
                with_payload=["source_key"],
                with_vectors=False,
            )
            keys.update(str((r.payload or {}).get("source_key")) for r in records)
            if offset is None:
                return keys

    def close(self) -> None:
        """Close the client."""
        self._client.close()
