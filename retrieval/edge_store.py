"""The embedded default: Qdrant Edge, the Qdrant engine in-process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from retrieval.errors import VectorStoreBusy, VectorStoreUnavailable
from retrieval.schemas import ChunkPayload, IndexedChunk, SparseVector, StoredHit
from retrieval.store import DENSE, DENSE_WEIGHT, RRF_K, SPARSE, SPARSE_WEIGHT, VectorQuery

_INDEXED_FIELDS = ("visibility", "source_key", "doc_hash")
_SCROLL_PAGE = 1000
HNSW_EF = 128


def _config(dimension: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )


def _sparse(vector: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(vector.indices), list(vector.values))


def _visibility_filter(query: VectorQuery) -> qe.Filter:
    match = qe.MatchAny([str(v) for v in query.visibilities])
    return qe.Filter(must=[qe.FieldCondition(key="visibility", match=match)])


class EdgeStore:
    """A Qdrant Edge shard in a folder; one process holds it at a time."""

    def __init__(self, path: Path, *, dimension: int) -> None:
        self._path = path
        try:
            if (path / "edge_config.json").exists() or (path / "wal").exists():
                self._shard = qe.EdgeShard.load(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._shard = qe.EdgeShard.create(str(path), _config(dimension))
                for field in _INDEXED_FIELDS:
                    op = qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword)
                    self._shard.update(op)
        except Exception as exc:
            if "WouldBlock" in str(exc):
                raise VectorStoreBusy(
                    f"the vector store at {path} is held by another Clinch process "
                    "(is `clinch up` running?)"
                ) from exc
            raise VectorStoreUnavailable(f"cannot open the vector store at {path}: {exc}") from exc

    def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        """Write chunks (idempotent: ids are deterministic)."""
        if not chunks:
            return
        points = [
            qe.Point(
                id=c.id,
                vector={DENSE: list(c.dense), SPARSE: _sparse(c.sparse)},
                payload=c.payload.to_dict(),
            )
            for c in chunks
        ]
        self._shard.update(qe.UpdateOperation.upsert_points(points))

    def delete_source(self, source_key: str, *, keep_doc_hash: str | None = None) -> None:
        """Delete a source's chunks, except those of the version to keep."""
        must: list[Any] = [qe.FieldCondition(key="source_key", match=qe.MatchValue(source_key))]
        must_not: list[Any] = []
        if keep_doc_hash is not None:
            must_not.append(qe.FieldCondition(key="doc_hash", match=qe.MatchValue(keep_doc_hash)))
        flt = qe.Filter(must=must, must_not=must_not or None)
        self._shard.update(qe.UpdateOperation.delete_points_by_filter(flt))

    def query(self, query: VectorQuery) -> list[StoredHit]:
        """Run a dense, sparse or hybrid (RRF) query inside the visibility filter."""
        flt = _visibility_filter(query)
        params = qe.SearchParams(hnsw_ef=HNSW_EF)
        dense = qe.Query.Nearest(list(query.dense), using=DENSE)
        sparse = qe.Query.Nearest(_sparse(query.sparse), using=SPARSE)
        if query.mode == "dense":
            request = qe.QueryRequest(
                limit=query.limit, query=dense, filter=flt, params=params, with_payload=True
            )
        elif query.mode == "sparse":
            request = qe.QueryRequest(
                limit=query.limit, query=sparse, filter=flt, with_payload=True
            )
        else:
            n = query.prefetch_limit
            request = qe.QueryRequest(
                limit=query.limit,
                prefetches=[
                    qe.Prefetch(limit=n, query=dense, filter=flt, params=params),
                    qe.Prefetch(limit=n, query=sparse, filter=flt),
                ],
                query=qe.Fusion.Rrf(k=RRF_K, weights=[DENSE_WEIGHT, SPARSE_WEIGHT]),  # type: ignore[arg-type]
                filter=flt,
                with_payload=True,
            )
        return [
            StoredHit(str(p.id), float(p.score), ChunkPayload.from_dict(dict(p.payload or {})))
            for p in self._shard.query(request)
        ]

    def count(self, *, source_key: str | None = None) -> int:
        """Count chunks, of one source or all."""
        flt = None
        if source_key is not None:
            cond = qe.FieldCondition(key="source_key", match=qe.MatchValue(source_key))
            flt = qe.Filter(must=[cond])
        return int(self._shard.count(qe.CountRequest(exact=True, filter=flt)))

    def source_keys(self) -> set[str]:
        """Return every source key with chunks in the store."""
        keys: set[str] = set()
        offset: Any = None
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=_SCROLL_PAGE, with_payload=["source_key"], with_vector=False
            )
            records, offset = self._shard.scroll(request)
            keys.update(str((r.payload or {}).get("source_key")) for r in records)
            if offset is None:
                return keys

    def optimize(self) -> None:
        """Build the HNSW index now rather than on the first large query."""
        self._shard.optimize()

    def close(self) -> None:
        """Flush and release the shard."""
        self._shard.flush()
        self._shard.close()
