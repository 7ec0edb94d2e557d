"""The ingest job keeps the vector store and the manifest in step with a folder (both backends)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from ingestion.errors import SourceNotFound
from ingestion.service import IngestListener, IngestOptions, ingest_path, source_key
from ingestion.summary import FileOutcome, IngestSummary
from leads import documents as manifest_repo
from leads.db import unit_of_work
from leads.models import SourceDocument
from retrieval.embedder import Embedder, FloatMatrix
from retrieval.schemas import Audience, RetrievedChunk, Visibility
from retrieval.search import search
from retrieval.store import VectorStore

DEMO = Path(__file__).resolve().parents[2] / "demo"
Sessions = sessionmaker[Session]


# --- factories and helpers ------------------------------------------------------------------


def page(*, title: str, body: str, visibility: str | None = None) -> str:
    """Return a small Markdown page, with front matter when a visibility is given."""
    front = f"---\ntitle: {title}\nvisibility: {visibility}\n---\n\n" if visibility else ""
    return f"{front}# {title}\n\n## Details\n\n{body}\n"


def write(folder: Path, rel: str, content: str | bytes) -> Path:
    """Write a file under folder (creating subfolders) and return its path."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_docs(tmp_path: Path) -> Path:
    """A folder of three small pages, each with one word no other page has."""
    folder = tmp_path / "docs"
    write(folder, "alpha.md", page(title="Alpha", body="The zorblax widget syncs every hour."))
    write(folder, "beta.md", page(title="Beta", body="Quendril reports are emailed weekly."))
    write(folder, "sub/gamma.md", page(title="Gamma", body="Plimvet keys rotate monthly."))
    return folder


def run_ingest(
    sessions: Sessions,
    *,
    root: Path,
    embedder: Embedder,
    store: VectorStore,
    checkpoint: Callable[[Session], Callable[[], None]] | None = None,
    listener: IngestListener | None = None,
    **options: Any,
) -> IngestSummary:
    """Ingest root in a unit of work, committing after each file as the CLI and task do."""
    with unit_of_work(sessions) as session:
        return ingest_path(
            session,
            root=root,
            embedder=embedder,
            store=store,
            options=IngestOptions(**options),
            checkpoint=checkpoint(session) if checkpoint else session.commit,
            listener=listener,
        )


def statuses(summary: IngestSummary) -> dict[str, str]:
    """Return each file's status by path."""
    return {f.path: f.status for f in summary.files}


def key(folder: Path, rel: str) -> str:
    """Return the source key ingestion gives a file of folder."""
    return source_key(str(folder.resolve()), rel)


def manifest(sessions: Sessions, folder: Path) -> dict[str, SourceDocument]:
    """Return the manifest rows of a folder, by relative path."""
    with sessions() as session:
        return manifest_repo.documents_under(session, str(folder.resolve()))


def find(
    word: str, *, embedder: Embedder, store: VectorStore, audience: Audience = "rep"
) -> list[RetrievedChunk]:
    """Return the chunks that contain the word's term (sparse search, so absent means absent)."""
    return search(word, embedder=embedder, store=store, audience=audience, k=50, mode="sparse")


def sources_of(word: str, *, embedder: Embedder, store: VectorStore) -> set[str]:
    """Return which files have a chunk containing the word."""
    return {c.source for c in find(word, embedder=embedder, store=store)}


def assert_consistent(sessions: Sessions, folder: Path, store: VectorStore) -> None:
    """Check the store holds exactly the manifest's chunks for the folder, no more, no fewer."""
    rows = manifest(sessions, folder)
    for rel, row in rows.items():
        assert store.count(source_key=key(folder, rel)) == row.chunk_count, rel
    assert store.count() == sum(row.chunk_count for row in rows.values())
    assert store.source_keys() == {key(folder, rel) for rel in rows}


class NoEmbedding:
    """The real embedder for counting tokens, but one that refuses to embed anything."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner

    @property
    def dimension(self) -> int:
        """Return the inner dimension."""
        return self._inner.dimension

    @property
    def name(self) -> str:
        """Return the inner name, so the ingest fingerprint is unchanged."""
        return self._inner.name

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        """Fail: nothing should need embedding."""
        raise AssertionError(f"unexpected embedding of {len(texts)} texts")

    def embed_query(self, text: str) -> FloatMatrix:
        """Fail: nothing should need embedding."""
        raise AssertionError("unexpected query embedding")

    def count_tokens(self, text: str) -> int:
        """Return the inner token count."""
        return self._inner.count_tokens(text)


class RecordingListener:
    """A listener that keeps what it is told."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done: list[FileOutcome] = []

    def started(self, total: int) -> None:
        """Remember the total."""
        self.total = total

    def file_done(self, outcome: FileOutcome) -> None:
        """Remember the outcome."""
        self.done.append(outcome)


def crash_on_first_checkpoint(session: Session) -> Callable[[], None]:
    """Return a checkpoint that crashes right after the first file's vectors are written.

    The job commits once before touching the store (marking its files pending), then once per
    file after the store write: the second call is the first commit after a store write.
    """
    calls = []

    def checkpoint() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash between the store write and the commit")
        session.commit()

    return checkpoint


# --- adding, skipping, updating, deleting ---------------------------------------------------


def test_first_ingest_adds_every_file(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    listener = RecordingListener()

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store, listener=listener)

    assert statuses(summary) == {"alpha.md": "added", "beta.md": "added", "sub/gamma.md": "added"}
    assert summary.root == str(docs.resolve())
    assert summary.chunks_written == store.count() > 0
    assert not summary.nothing_ingested
    assert listener.total == 3
    assert listener.done == list(summary.files)
    rows = manifest(sessions, docs)
    assert set(rows) == {"alpha.md", "beta.md", "sub/gamma.md"}
    assert {r.visibility for r in rows.values()} == {"public"}
    assert rows["alpha.md"].title == "Alpha"
    assert_consistent(sessions, docs, store)
    assert sources_of("zorblax", embedder=embedder, store=store) == {"alpha.md"}
    assert sources_of("plimvet", embedder=embedder, store=store) == {"sub/gamma.md"}


def test_second_ingest_of_an_unchanged_folder_embeds_nothing(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    first = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    second = run_ingest(sessions, root=docs, embedder=NoEmbedding(embedder), store=store)

    assert set(statuses(second).values()) == {"unchanged"}
    assert len(second.files) == 3
    assert second.chunks_written == 0
    assert second.counts["unchanged"] == 3
    assert [f.chunks for f in second.files] == [f.chunks for f in first.files]
    assert store.count() == first.chunks_written
    assert_consistent(sessions, docs, store)


def test_hidden_files_are_ignored(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    write(docs, ".drafts/secret.md", page(title="Draft", body="Snarfwig draft text."))
    write(docs, ".hidden.md", page(title="Hidden", body="Snarfwig hidden text."))

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert set(statuses(summary)) == {"alpha.md", "beta.md", "sub/gamma.md"}
    assert find("snarfwig", embedder=embedder, store=store) == []


def test_changing_a_file_replaces_its_old_text(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    body = " ".join(f"Vextrom sentence {i} about the new sync engine." for i in range(60))
    write(docs, "alpha.md", page(title="Alpha", body=body))

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert statuses(summary) == {
        "alpha.md": "updated",
        "beta.md": "unchanged",
        "sub/gamma.md": "unchanged",
    }
    assert summary.chunks_written == manifest(sessions, docs)["alpha.md"].chunk_count > 1
    assert find("zorblax", embedder=embedder, store=store) == []
    assert sources_of("vextrom", embedder=embedder, store=store) == {"alpha.md"}
    assert sources_of("quendril", embedder=embedder, store=store) == {"beta.md"}
    assert_consistent(sessions, docs, store)


def test_deleting_a_file_removes_its_chunks_and_manifest_row(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    first = run_ingest(sessions, root=docs, embedder=embedder, store=store)
    gamma_chunks = {f.path: f.chunks for f in first.files}["sub/gamma.md"]
    (docs / "sub" / "gamma.md").unlink()

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert statuses(summary)["sub/gamma.md"] == "deleted"
    assert FileOutcome("sub/gamma.md", "deleted", gamma_chunks) in summary.files
    assert summary.chunks_written == 0
    assert store.count(source_key=key(docs, "sub/gamma.md")) == 0
    assert key(docs, "sub/gamma.md") not in store.source_keys()
    assert "sub/gamma.md" not in manifest(sessions, docs)
    assert find("plimvet", embedder=embedder, store=store) == []
    assert_consistent(sessions, docs, store)


def test_emptied_folder_deletes_everything(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    shutil.rmtree(docs)
    docs.mkdir()

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert set(statuses(summary).values()) == {"deleted"}
    assert not summary.nothing_ingested
    assert store.count() == 0
    assert manifest(sessions, docs) == {}


def test_missing_root_is_refused(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    with pytest.raises(SourceNotFound, match="does not exist"):
        run_ingest(sessions, root=tmp_path / "nope", embedder=embedder, store=store)


def test_force_re_embeds_unchanged_files_without_duplicates(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    first = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    forced = run_ingest(sessions, root=docs, embedder=embedder, store=store, force=True)

    assert set(statuses(forced).values()) == {"updated"}
    assert forced.chunks_written == first.chunks_written
    assert store.count() == first.chunks_written
    assert_consistent(sessions, docs, store)


def test_changed_options_re_embed_every_file(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)

    summary = run_ingest(
        sessions, root=docs, embedder=embedder, store=store, base_url="https://docs.example/"
    )

    assert set(statuses(summary).values()) == {"updated"}
    (hit,) = find("plimvet", embedder=embedder, store=store)
    assert hit.url == "https://docs.example/sub/gamma"
    assert_consistent(sessions, docs, store)


# --- failures -------------------------------------------------------------------------------


def test_a_file_that_turns_corrupt_keeps_its_previous_chunks(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    before = store.count(source_key=key(docs, "beta.md"))
    original = (docs / "beta.md").read_bytes()
    write(docs, "beta.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR garbage")

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    (outcome,) = [f for f in summary.files if f.path == "beta.md"]
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert outcome.error.startswith("beta.md: ")
    assert "binary" in outcome.error
    assert not summary.nothing_ingested
    assert store.count(source_key=key(docs, "beta.md")) == before > 0
    assert sources_of("quendril", embedder=embedder, store=store) == {"beta.md"}
    assert "beta.md" in manifest(sessions, docs)
    assert_consistent(sessions, docs, store)

    # Restoring the file needs no work: the chunks in the store are still its chunks.
    write(docs, "beta.md", original)
    restored = run_ingest(sessions, root=docs, embedder=NoEmbedding(embedder), store=store)
    assert statuses(restored)["beta.md"] == "unchanged"


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "brochure.docx": (b"PK\x03\x04 a word document", "unsupported file type .docx"),
    "empty.md": (b"", "empty"),
    "blank.md": (b"   \n\n\t\n", "only whitespace"),
    "binary.md": (b"# Title\n\x00\x01\x02\x03", "binary"),
    "latin1.txt": ("Café prices in €uros".encode("latin-1", "replace"), "not valid UTF-8"),
    "corrupt.pdf": (b"%PDF-1.4\nthis is not really a pdf\n%%EOF", "PDF"),
    "big.md": (page(title="Big", body="word " * 2000).encode(), "too large"),
    "pricing.yaml": (b"company: Acme\nplans: [unclosed\n", "not valid YAML"),
    "notes.md": (b"---\ntitle: [broken\n---\n\n# Notes\n\nText.\n", "front matter"),
}


def test_bad_files_fail_one_by_one_and_good_files_still_go_in(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    for name, (data, _) in BAD_FILES.items():
        write(docs, name, data)

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store, max_bytes=4096)

    failed = {f.path: f for f in summary.files if f.status == "failed"}
    assert set(failed) == set(BAD_FILES)
    for name, (_, problem) in BAD_FILES.items():
        error = failed[name].error
        assert error is not None
        assert error.startswith(f"{name}: "), error
        assert problem in error, error
        assert failed[name].chunks == 0
    assert summary.counts == {"added": 3, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 9}
    assert not summary.nothing_ingested
    assert set(manifest(sessions, docs)) == {"alpha.md", "beta.md", "sub/gamma.md"}
    assert_consistent(sessions, docs, store)


def test_a_folder_of_only_bad_files_ingests_nothing(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    bad = tmp_path / "bad"
    for name in ("brochure.docx", "empty.md", "binary.md", "latin1.txt"):
        write(bad, name, BAD_FILES[name][0])

    summary = run_ingest(sessions, root=bad, embedder=embedder, store=store)

    assert summary.nothing_ingested
    assert summary.counts["failed"] == 4
    assert store.count() == 0
    assert manifest(sessions, bad) == {}


def test_a_failure_beside_unchanged_files_is_not_nothing_ingested(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    write(docs, "brochure.docx", BAD_FILES["brochure.docx"][0])

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert summary.counts["failed"] == 1
    assert summary.counts["unchanged"] == 3
    assert not summary.nothing_ingested


# --- visibility -----------------------------------------------------------------------------


def _visibilities(word: str, *, embedder: Embedder, store: VectorStore) -> set[str]:
    return {c.visibility for c in find(word, embedder=embedder, store=store)}


def _hidden_from_prospects(word: str, *, embedder: Embedder, store: VectorStore) -> bool:
    return find(word, embedder=embedder, store=store, audience="prospect") == []


def test_an_internal_folder_gives_internal_chunks(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)

    run_ingest(sessions, root=docs, embedder=embedder, store=store, visibility="internal")

    assert _visibilities("zorblax", embedder=embedder, store=store) == {"internal"}
    assert _hidden_from_prospects("zorblax", embedder=embedder, store=store)
    assert {r.visibility for r in manifest(sessions, docs).values()} == {"internal"}


@pytest.mark.parametrize(
    ("folder", "front_matter", "expected"),
    [
        ("public", "internal", "internal"),
        ("internal", "public", "internal"),
        ("public", "public", "public"),
    ],
)
def test_front_matter_can_restrict_but_never_expose(
    tmp_path: Path,
    sessions: Sessions,
    embedder: Embedder,
    store: VectorStore,
    folder: Visibility,
    front_matter: str,
    expected: Visibility,
) -> None:
    docs = tmp_path / "docs"
    write(docs, "page.md", page(title="Page", body="Grommetry rules.", visibility=front_matter))

    run_ingest(sessions, root=docs, embedder=embedder, store=store, visibility=folder)

    assert _visibilities("grommetry", embedder=embedder, store=store) == {expected}
    assert _hidden_from_prospects("grommetry", embedder=embedder, store=store) == (
        expected == "internal"
    )
    assert manifest(sessions, docs)["page.md"].visibility == expected


def test_front_matter_visibility_is_case_insensitive(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = tmp_path / "docs"
    write(docs, "page.md", page(title="Page", body="Grommetry rules.", visibility="Internal"))

    run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert _hidden_from_prospects("grommetry", embedder=embedder, store=store)


def test_re_ingesting_a_public_folder_as_internal_hides_it(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    assert not _hidden_from_prospects("zorblax", embedder=embedder, store=store)

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store, visibility="internal")

    assert set(statuses(summary).values()) == {"updated"}
    for word in ("zorblax", "quendril", "plimvet"):
        assert _hidden_from_prospects(word, embedder=embedder, store=store), word
    assert_consistent(sessions, docs, store)


# --- pricing and single files ---------------------------------------------------------------


def test_pricing_catalog_is_ingested_as_readable_prices(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copy(DEMO / "pricing.yaml", folder / "pricing.yaml")

    summary = run_ingest(sessions, root=folder, embedder=embedder, store=store)

    assert statuses(summary) == {"pricing.yaml": "added"}
    hits = find("Team", embedder=embedder, store=store, audience="prospect")
    assert any("$8.50" in h.text for h in hits), [h.text[:60] for h in hits]
    assert {h.title for h in hits} == {"Quillstack pricing"}
    assert {h.source for h in hits} == {"pricing.yaml"}


def test_pricing_csv_is_ingested(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    shutil.copy(DEMO / "pricing.csv", folder / "pricing.csv")

    summary = run_ingest(sessions, root=folder, embedder=embedder, store=store)

    assert statuses(summary) == {"pricing.csv": "added"}


def test_single_file_ingest_leaves_its_siblings_alone(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    write(docs, "alpha.md", page(title="Alpha", body="The skorvane widget now syncs live."))

    summary = run_ingest(sessions, root=docs / "alpha.md", embedder=embedder, store=store)

    assert statuses(summary) == {"alpha.md": "updated"}
    assert summary.root == str(docs.resolve())
    assert sources_of("quendril", embedder=embedder, store=store) == {"beta.md"}
    assert sources_of("plimvet", embedder=embedder, store=store) == {"sub/gamma.md"}
    assert sources_of("skorvane", embedder=embedder, store=store) == {"alpha.md"}
    assert find("zorblax", embedder=embedder, store=store) == []
    assert set(manifest(sessions, docs)) == {"alpha.md", "beta.md", "sub/gamma.md"}
    assert_consistent(sessions, docs, store)


def test_single_file_ingest_of_a_nested_file_replaces_its_folder_chunks(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    write(docs, "sub/gamma.md", page(title="Gamma", body="Trellquist keys rotate daily."))

    run_ingest(sessions, root=docs / "sub" / "gamma.md", embedder=embedder, store=store)

    assert find("plimvet", embedder=embedder, store=store) == []


# --- crash safety ---------------------------------------------------------------------------


def test_a_crash_before_the_manifest_commit_heals_on_the_next_run(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)

    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(
            sessions,
            root=docs,
            embedder=embedder,
            store=store,
            checkpoint=crash_on_first_checkpoint,
        )
    # The store got the first file's chunks; the manifest only knows the files are pending.
    assert store.count() > 0
    rows = manifest(sessions, docs)
    assert rows
    assert all(row.content_hash.startswith("pending:") for row in rows.values())

    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert set(statuses(summary).values()) == {"added"}
    assert store.count() == summary.chunks_written
    assert_consistent(sessions, docs, store)
    assert sources_of("zorblax", embedder=embedder, store=store) == {"alpha.md"}


def test_a_crash_during_an_update_heals_on_the_next_run(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    body = " ".join(f"Vextrom sentence {i} about the new sync engine." for i in range(60))
    write(docs, "alpha.md", page(title="Alpha", body=body))

    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(
            sessions,
            root=docs,
            embedder=embedder,
            store=store,
            checkpoint=crash_on_first_checkpoint,
        )
    summary = run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert statuses(summary)["alpha.md"] == "updated"
    assert_consistent(sessions, docs, store)
    assert find("zorblax", embedder=embedder, store=store) == []
    assert sources_of("vextrom", embedder=embedder, store=store) == {"alpha.md"}


def test_a_crash_then_a_revert_does_not_leave_the_crashed_version(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = make_docs(tmp_path)
    run_ingest(sessions, root=docs, embedder=embedder, store=store)
    original = (docs / "alpha.md").read_bytes()
    write(docs, "alpha.md", page(title="Alpha", body="The skorvane widget now syncs live."))
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(
            sessions,
            root=docs,
            embedder=embedder,
            store=store,
            checkpoint=crash_on_first_checkpoint,
        )
    write(docs, "alpha.md", original)

    run_ingest(sessions, root=docs, embedder=embedder, store=store)

    assert sources_of("zorblax", embedder=embedder, store=store) == {"alpha.md"}
    assert find("skorvane", embedder=embedder, store=store) == []


# --- sentence vectors for the answerer ------------------------------------------------------


def test_chunks_carry_their_quotable_sentences_and_vectors(
    tmp_path: Path, sessions: Sessions, embedder: Embedder, store: VectorStore
) -> None:
    docs = tmp_path / "docs"
    body = "Exports run every night at two. Reports are emailed to the workspace owner."
    write(docs, "exports.md", page(title="Exports", body=body))

    run_ingest(sessions, root=docs, embedder=embedder, store=store)

    [chunk] = search("exports", embedder=embedder, store=store, audience="prospect", k=5)
    assert chunk.sentences == (
        "Exports run every night at two.",
        "Reports are emailed to the workspace owner.",
    )
    assert chunk.sentence_vectors is not None
    fresh = embedder.embed_documents(list(chunk.sentences))
    assert np.abs(chunk.sentence_vectors - fresh).max() < 0.01
