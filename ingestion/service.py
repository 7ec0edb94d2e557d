"""The ingest job: add, change and delete, exactly and incrementally."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from ingestion.chunking import chunk_document
from ingestion.documents import Chunk, LoadedDocument
from ingestion.errors import IngestionError
from ingestion.sources import discover, file_hash, load_source
from ingestion.summary import FileOutcome, IngestSummary
from leads import documents as repo
from retrieval.embedder import Embedder
from retrieval.schemas import ChunkPayload, IndexedChunk, Visibility
from retrieval.sentences import pack_vectors, quotable_sentences
from retrieval.sparse import document_vector
from retrieval.store import VectorStore

_ID_NAMESPACE = uuid.UUID("6f1c1c3e-8a52-4d0e-9d8e-2f4b9b1c0a11")
# Bump when chunking or payload layout changes, so every file is re-embedded once.
PIPELINE_VERSION = "2"
# Chunks from several small files are embedded together: the embedder is fastest in batches.
EMBED_BATCH_CHUNKS = 512


class IngestListener(Protocol):
    """Told how far an ingest job has got (a progress bar, a task state)."""

    def started(self, total: int) -> None: ...

    def file_done(self, outcome: FileOutcome) -> None: ...


@dataclass(frozen=True)
class IngestOptions:
    """How an ingest job cuts and limits files."""

    visibility: Visibility = "public"
    max_bytes: int = 10 * 1024 * 1024
    max_tokens: int = 200
    overlap_tokens: int = 40
    base_url: str | None = None
    force: bool = False
    company: str | None = None


@dataclass
class _Pending:
    rel: str
    doc_hash: str
    doc: LoadedDocument
    chunks: list[Chunk]
    existed: bool


def source_key(root: str, rel: str) -> str:
    """Return the key that names a file's chunks in the vector store."""
    return f"{root}::{rel}"


def _chunk_id(key: str, doc_hash: str, index: int) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{key}\0{doc_hash}\0{index}"))


def _url_for(rel: str, doc: LoadedDocument, base_url: str | None) -> str | None:
    if doc.url:
        return doc.url
    if base_url is None:
        return None
    return f"{base_url.rstrip('/')}/{Path(rel).with_suffix('').as_posix()}"


def _visibility(folder: Visibility, doc: LoadedDocument) -> Visibility:
    # Front matter may make a page internal; it may not expose a page of an internal folder.
    # Any value but "public" (Internal, private, confidential, a typo) keeps the page internal.
    declared = (doc.visibility or "").strip().lower()
    if folder == "internal" or (declared and declared != "public"):
        return "internal"
    return "public"


def _root_of(session: Session, path: Path) -> Path:
    """Return the folder a file was ingested under before (the deepest one), or its parent."""
    containing = [Path(r) for r in repo.known_root_paths(session) if path.is_relative_to(r)]
    return max(containing, key=lambda r: len(r.parts), default=path.parent)


class _Job:
    def __init__(
        self,
        session: Session,
        *,
        root: Path,
        embedder: Embedder,
        store: VectorStore,
        options: IngestOptions,
        checkpoint: Callable[[], None],
        listener: IngestListener | None,
    ) -> None:
        self.session, self.embedder, self.store = session, embedder, store
        self.options, self.checkpoint, self.listener = options, checkpoint, listener
        resolved = root.resolve()
        self.single_file = resolved.is_file()
        self.files = discover(resolved)
        self.root = _root_of(session, resolved) if self.single_file else resolved
        self.root_str = str(self.root)
        self.known = repo.documents_under(session, self.root_str)
        self.outcomes: list[FileOutcome] = []
        self.pending: list[_Pending] = []
        self.fingerprint = "|".join(
            (
                PIPELINE_VERSION,
                options.visibility,
                embedder.name,
                str(options.max_tokens),
                str(options.overlap_tokens),
                options.base_url or "",
            )
        )

    def _record(self, outcome: FileOutcome) -> None:
        self.outcomes.append(outcome)
        if self.listener is not None:
            self.listener.file_done(outcome)

    def run(self) -> list[FileOutcome]:
        if self.listener is not None:
            self.listener.started(len(self.files))
        for path in self.files:
            self._prepare(path)
            if sum(len(p.chunks) for p in self.pending) >= EMBED_BATCH_CHUNKS:
                self._flush()
        self._flush()
        if not self.single_file:
            self._remove_deleted()
        return self.outcomes

    def _prepare(self, path: Path) -> None:
        rel = path.relative_to(self.root).as_posix()
        known = self.known.get(rel)
        try:
            doc_hash = file_hash(
                path, fingerprint=self.fingerprint, max_bytes=self.options.max_bytes
            )
            if known is not None and known.content_hash == doc_hash and not self.options.force:
                self._record(FileOutcome(rel, "unchanged", known.chunk_count))
                return
            doc = load_source(path, max_bytes=self.options.max_bytes, company=self.options.company)
            chunks = chunk_document(
                doc,
                count_tokens=self.embedder.count_tokens,
                max_tokens=self.options.max_tokens,
                overlap_tokens=self.options.overlap_tokens,
            )
        except IngestionError as exc:
            # A failed file keeps whatever chunks it had: nothing is deleted for it.
            detail = exc.message.removeprefix(f"{path.name}: ")
            self._record(FileOutcome(rel, "failed", 0, f"{rel}: {detail}"))
            return
        except OSError as exc:
            self._record(FileOutcome(rel, "failed", 0, f"{rel}: cannot read the file ({exc})"))
            return
        if not chunks:
            self._record(FileOutcome(rel, "failed", 0, f"{rel}: no text to index"))
            return
        # A row left pending by a crashed first ingest (no chunks yet) is still an addition.
        existed = known is not None and known.chunk_count > 0
        self.pending.append(_Pending(rel, doc_hash, doc, chunks, existed))

    def _mark_pending(self) -> None:
        # Committed before the store is touched: if the job dies between the vector write and
        # the manifest update, the next run sees a hash that matches no file and redoes it.
        for p in self.pending:
            repo.upsert_document(
                self.session,
                root=self.root_str,
                path=p.rel,
                content_hash=f"pending:{p.doc_hash}",
                visibility=self.options.visibility,
                title=p.doc.title,
                chunk_count=self.known[p.rel].chunk_count if p.existed else 0,
            )
        self.checkpoint()

    def _flush(self) -> None:
        if not self.pending:
            return
        self._mark_pending()
        chunks = [c for p in self.pending for c in p.chunks]
        # Each chunk's quotable sentences are embedded in the same call as the chunks, so the
        # answerer ranks them at question time without running the model again.
        # A sentence in two overlapping chunks is embedded once.
        sentences = [quotable_sentences(c.text) for c in chunks]
        unique = {s: len(chunks) + i for i, s in enumerate(dict.fromkeys(chain(*sentences)))}
        vectors = self.embedder.embed_documents([c.embed_text for c in chunks] + list(unique))
        packed = [pack_vectors(vectors[[unique[s] for s in group]]) for group in sentences]
        offset = 0
        for p in self.pending:
            key = source_key(self.root_str, p.rel)
            visibility = _visibility(self.options.visibility, p.doc)
            indexed = [
                IndexedChunk(
                    id=_chunk_id(key, p.doc_hash, c.index),
                    dense=tuple(float(x) for x in vectors[offset + i]),
                    sparse=document_vector(c.embed_text),
                    payload=ChunkPayload(
                        source_key=key,
                        root=self.root_str,
                        source=p.rel,
                        title=p.doc.title,
                        url=_url_for(p.rel, p.doc, self.options.base_url),
                        heading_path=c.heading_path,
                        visibility=visibility,
                        doc_hash=p.doc_hash,
                        chunk_index=c.index,
                        text=c.text,
                        sentences=tuple(sentences[offset + i]),
                        sentence_vectors=packed[offset + i],
                    ),
                )
                for i, c in enumerate(p.chunks)
            ]
            offset += len(p.chunks)
            # New version first, then the old one goes: a reader never sees the file missing.
            self.store.upsert(indexed)
            self.store.delete_source(key, keep_doc_hash=p.doc_hash)
            repo.upsert_document(
                self.session,
                root=self.root_str,
                path=p.rel,
                content_hash=p.doc_hash,
                visibility=visibility,
                title=p.doc.title,
                chunk_count=len(indexed),
            )
            self.checkpoint()
            self._record(FileOutcome(p.rel, "updated" if p.existed else "added", len(indexed)))
        self.pending = []

    def _remove_deleted(self) -> None:
        present = {p.relative_to(self.root).as_posix() for p in self.files}
        for rel, row in sorted(self.known.items()):
            if rel in present:
                continue
            self.store.delete_source(source_key(self.root_str, rel))
            repo.delete_document(self.session, row)
            self.checkpoint()
            self._record(FileOutcome(rel, "deleted", row.chunk_count))


def ingest_path(
    session: Session,
    *,
    root: Path,
    embedder: Embedder,
    store: VectorStore,
    options: IngestOptions,
    checkpoint: Callable[[], None],
    listener: IngestListener | None = None,
) -> IngestSummary:
    """Bring the store in line with a folder (or one file): add, update, delete, skip."""
    started = time.perf_counter()
    job = _Job(
        session,
        root=root,
        embedder=embedder,
        store=store,
        options=options,
        checkpoint=checkpoint,
        listener=listener,
    )
    outcomes = job.run()
    return IngestSummary(
        root=job.root_str,
        visibility=options.visibility,
        files=tuple(outcomes),
        seconds=time.perf_counter() - started,
    )
