"""Ingest throughput, re-ingest cost and query latency on a real corpus, both backends."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from clinch.bench.timing import latencies_ms, p50_p95
from clinch.settings import Settings
from clinch.tasks import ingest_options
from clinch.wiring import open_embedder
from ingestion.chunking import chunk_document
from ingestion.service import ingest_path
from ingestion.sources import discover, load_source
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from retrieval.edge_store import EdgeStore
from retrieval.embedder import SentenceEmbedder
from retrieval.schemas import ChunkPayload, IndexedChunk
from retrieval.search import search
from retrieval.sentences import quotable_sentences
from retrieval.server_store import ServerStore
from retrieval.sparse import document_vector
from retrieval.store import VectorStore

_QA_FILES = ("railway_dev_qa.jsonl", "railway_faq_mapped.jsonl")
_NOISE = 0.15


def _queries(corpus: Path) -> list[str]:
    qa = corpus.parents[2] / "qa"
    out: list[str] = []
    for name in _QA_FILES:
        path = qa / name
        if path.exists():
            out += [json.loads(line)["question"] for line in path.read_text().splitlines() if line]
    return out or ["how much does the pro plan cost", "what regions are available"]


def _corpus_texts(
    corpus: Path, settings: Settings, embedder: SentenceEmbedder
) -> tuple[list[str], list[str]]:
    """Return what ingestion embeds: the chunk texts, and their distinct quotable sentences."""
    texts: list[str] = []
    sentences: dict[str, None] = {}
    for path in discover(corpus):
        doc = load_source(path, max_bytes=settings.max_file_bytes)
        chunks = chunk_document(
            doc,
            count_tokens=embedder.count_tokens,
            max_tokens=settings.chunking.max_tokens,
            overlap_tokens=settings.chunking.overlap_tokens,
        )
        texts += [c.embed_text for c in chunks]
        sentences.update(dict.fromkeys(s for c in chunks for s in quotable_sentences(c.text)))
    return texts, list(sentences)


def _ingest(
    store: VectorStore, db_url: str, corpus: Path, settings: Settings, embedder: SentenceEmbedder
) -> tuple[float, int]:
    upgrade(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        start = time.perf_counter()
        summary = ingest_path(
            session,
            root=corpus,
            embedder=embedder,
            store=store,
            options=ingest_options(settings, visibility="public", base_url=None, force=False),
            checkpoint=session.commit,
        )
        session.commit()
    engine.dispose()
    return time.perf_counter() - start, summary.chunks_written


def _synthetic(
    texts: list[str], vectors: np.ndarray, n: int
) -> tuple[list[IndexedChunk], np.ndarray]:
    """Return n points: the corpus's vectors, then noisy copies of them (unit length)."""
    rng = np.random.default_rng(7)
    picks = np.arange(n) % len(texts)
    noisy = vectors[picks] + rng.normal(
        0, _NOISE / np.sqrt(vectors.shape[1]), (n, vectors.shape[1])
    )
    noisy[: len(texts)] = vectors[: min(n, len(texts))]
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    sparse = [document_vector(t) for t in texts]
    base = ChunkPayload(
        source_key="",
        root="bench",
        source="",
        title="",
        url=None,
        heading_path=(),
        visibility="public",
        doc_hash="x",
        chunk_index=0,
        text="",
    )
    points = [
        IndexedChunk(
            id=str(uuid.UUID(int=i + 1)),
            dense=tuple(float(x) for x in noisy[i]),
            sparse=sparse[int(picks[i])],
            payload=replace(
                base,
                source_key=f"bench::{i}",
                source=f"p{i}",
                text=texts[int(picks[i])][:200],
                chunk_index=i,
            ),
        )
        for i in range(n)
    ]
    return points, noisy.astype(np.float32)


def _latency_row(
    label: str,
    store: VectorStore,
    matrix: np.ndarray,
    embedder: SentenceEmbedder,
    queries: list[str],
    rounds: int,
) -> dict[str, Any]:
    def reference(q: str) -> object:
        return int(np.argmax(matrix @ embedder.embed_query(q)))

    def hybrid(q: str) -> object:
        return search(q, embedder=embedder, store=store, audience="prospect", k=5)

    ref = p50_p95(latencies_ms(reference, queries, rounds=rounds))
    got = p50_p95(latencies_ms(hybrid, queries, rounds=rounds))
    return {
        "case": label,
        "p50_ms": got[0],
        "p95_ms": got[1],
        "ref_p50_ms": ref[0],
        "ref_p95_ms": ref[1],
        "ratio_p50": got[0] / ref[0],
        "ratio_p95": got[1] / ref[1],
    }


def _stores(tmp: Path, dim: int, tag: str) -> dict[str, Callable[[], VectorStore]]:
    return {
        "edge": lambda: EdgeStore(tmp / f"edge-{tag}", dimension=dim),
        "server(local mode)": lambda: ServerStore(
            collection="bench", dimension=dim, path=tmp / f"local-{tag}"
        ),
    }


def run_retrieval_bench(
    *, settings: Settings, corpus: Path, big: int, console: Console
) -> dict[str, Any]:
    """Measure ingest and query figures on the corpus and at `big` points."""
    embedder = open_embedder(settings)
    queries = _queries(corpus)
    result: dict[str, Any] = {
        "embedder": embedder.name,
        "corpus": str(corpus),
        "queries": len(queries),
    }
    with tempfile.TemporaryDirectory(prefix="clinch-bench-") as tmp_name:
        tmp = Path(tmp_name)
        texts, sentences = _corpus_texts(corpus, settings, embedder)
        # The reference embeds what ingestion embeds: chunks and their sentences (for answers).
        start = time.perf_counter()
        vectors = embedder.embed_documents(texts)
        embedder.embed_documents(sentences)
        raw_rate = len(texts) / (time.perf_counter() - start)
        store = EdgeStore(tmp / "edge-ingest", dimension=embedder.dimension)
        first_s, written = _ingest(
            store, f"sqlite:///{tmp / 'a.sqlite'}", corpus, settings, embedder
        )
        again_s, _ = _ingest(store, f"sqlite:///{tmp / 'a.sqlite'}", corpus, settings, embedder)
        result["ingest"] = {
            "chunks": written,
            "sentences": len(sentences),
            "raw_embed_chunks_per_s": raw_rate,
            "ingest_chunks_per_s": written / first_s,
            "ratio_to_raw": written / first_s / raw_rate,
            "first_s": first_s,
            "reingest_s": again_s,
            "reingest_ratio": again_s / first_s,
        }
        rows = [
            _latency_row(f"edge, corpus ({written} chunks)", store, vectors, embedder, queries, 3)
        ]
        store.close()
        server = ServerStore(collection="bench", dimension=embedder.dimension, path=tmp / "local-c")
        _ingest(server, f"sqlite:///{tmp / 'b.sqlite'}", corpus, settings, embedder)
        rows.append(
            _latency_row(
                f"server(local mode), corpus ({written} chunks)",
                server,
                vectors,
                embedder,
                queries,
                3,
            )
        )
        server.close()
        points, matrix = _synthetic(texts, vectors, big)
        for label, make in _stores(tmp, embedder.dimension, "big").items():
            big_store = make()
            build = time.perf_counter()
            for i in range(0, len(points), 2000):
                big_store.upsert(points[i : i + 2000])
            if isinstance(big_store, EdgeStore):
                big_store.optimize()
            console.print(
                f"{label}: {big} points written and indexed in {time.perf_counter() - build:.0f}s"
            )
            # Local mode scores every point in Python (seconds a query at 100k): sample it.
            sample = queries[:10] if "server" in label else queries
            rounds = 1 if "server" in label else 3
            rows.append(
                _latency_row(f"{label}, {big} points", big_store, matrix, embedder, sample, rounds)
            )
            big_store.close()
        result["query"] = rows
    _print(console, result)
    return result


def _print(console: Console, result: dict[str, Any]) -> None:
    ing = result["ingest"]
    console.print(
        f"ingest: {ing['chunks']} chunks at {ing['ingest_chunks_per_s']:.1f}/s vs raw embedder "
        f"{ing['raw_embed_chunks_per_s']:.1f}/s → ratio {ing['ratio_to_raw']:.2f} (target ≥ 0.8); "
        f"re-ingest unchanged {ing['reingest_s']:.2f}s = {ing['reingest_ratio']:.3f}× first "
        "(target ≤ 0.05)"
    )
    table = Table(
        "query latency (embed + hybrid search)",
        "p50 ms",
        "p95 ms",
        "ref p50/p95 ms (embed + numpy)",
        "ratio p50",
        "ratio p95",
    )
    for r in result["query"]:
        table.add_row(
            r["case"],
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['ref_p50_ms']:.1f} / {r['ref_p95_ms']:.1f}",
            f"{r['ratio_p50']:.2f}",
            f"{r['ratio_p95']:.2f}",
        )
    console.print(table)
