"""One contract, both backends: what ingestion and search rely on from a VectorStore."""

from __future__ import annotations

import math
import uuid

from retrieval.embedder import SentenceEmbedder
from retrieval.schemas import ChunkPayload, IndexedChunk, SearchMode, SparseVector, Visibility
from retrieval.sparse import document_vector, query_vector
from retrieval.store import VectorQuery, VectorStore

MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")
DIMENSION = 384
_NAMESPACE = uuid.UUID("0b7e3a52-3f0e-4a55-8d7c-6c1d7b1f2e90")


def _unit(*axes: int, dimension: int = DIMENSION) -> tuple[float, ...]:
    """Return the unit vector spread evenly over the given axes."""
    vector = [0.0] * dimension
    for axis in axes:
        vector[axis] = 1.0 / math.sqrt(len(axes))
    return tuple(vector)


def make_chunk(
    *,
    text: str,
    dense: tuple[float, ...],
    source_key: str = "/docs::a.md",
    doc_hash: str = "h1",
    index: int = 0,
    visibility: Visibility = "public",
    sparse: SparseVector | None = None,
) -> IndexedChunk:
    """Build an IndexedChunk by hand with a deterministic id."""
    root, _, source = source_key.partition("::")
    return IndexedChunk(
        id=str(uuid.uuid5(_NAMESPACE, f"{source_key}\0{doc_hash}\0{index}")),
        dense=dense,
        sparse=sparse if sparse is not None else document_vector(text),
        payload=ChunkPayload(
            source_key=source_key,
            root=root,
            source=source,
            title=f"Title of {source}",
            url=None if visibility == "internal" else f"https://example.test/{source}",
            heading_path=(f"Title of {source}", "Section"),
            visibility=visibility,
            doc_hash=doc_hash,
            chunk_index=index,
            text=text,
        ),
    )


def _query(
    *,
    dense: tuple[float, ...],
    text: str,
    mode: SearchMode,
    visibilities: tuple[Visibility, ...] = ("public", "internal"),
    limit: int = 10,
) -> VectorQuery:
    return VectorQuery(
        dense=list(dense),
        sparse=query_vector(text),
        visibilities=visibilities,
        limit=limit,
        mode=mode,
    )


def _ids(store: VectorStore, query: VectorQuery) -> list[str]:
    return [hit.id for hit in store.query(query)]


def test_synthetic_vectors_have_the_model_dimension(embedder: SentenceEmbedder) -> None:
    # The synthetic vectors below are only valid if they have the model's size.
    assert embedder.dimension == DIMENSION


def test_an_empty_store_has_no_sources(store: VectorStore) -> None:
    store.upsert([])
    assert store.count() == 0
    assert store.source_keys() == set()
    assert store.query(_query(dense=_unit(0), text="anything", mode="hybrid")) == []


def test_upsert_then_query_returns_the_chunk_first(store: VectorStore) -> None:
    target = make_chunk(text="zebra migration across the savanna", dense=_unit(1), index=0)
    other = make_chunk(text="quarterly invoice reconciliation", dense=_unit(2), index=1)
    store.upsert([other, target])

    for mode in MODES:
        hits = store.query(_query(dense=_unit(1), text="zebra savanna", mode=mode))

        assert hits, f"{mode} query returned nothing"
        assert hits[0].id == target.id, mode
        assert hits[0].payload == target.payload, mode
        assert hits[0].score > 0, mode


def test_payload_round_trips_exactly(store: VectorStore) -> None:
    chunk = make_chunk(
        text="Résumé of the plan — $8.50 per seat", dense=_unit(3), visibility="internal"
    )
    store.upsert([chunk])

    (hit,) = store.query(_query(dense=_unit(3), text="plan", mode="dense", limit=1))

    assert hit.payload == chunk.payload
    assert hit.payload.heading_path == ("Title of a.md", "Section")
    assert hit.payload.url is None


def test_dense_scores_follow_cosine_similarity(store: VectorStore) -> None:
    exact = make_chunk(text="one", dense=_unit(4), index=0)
    half = make_chunk(text="two", dense=_unit(4, 5), index=1)
    far = make_chunk(text="three", dense=_unit(6), index=2)
    store.upsert([far, half, exact])

    hits = store.query(_query(dense=_unit(4), text="x", mode="dense"))

    assert [h.id for h in hits] == [exact.id, half.id, far.id]
    assert [round(h.score, 3) for h in hits] == [1.0, round(1 / math.sqrt(2), 3), 0.0]


def test_sparse_query_only_returns_chunks_sharing_a_term(store: VectorStore) -> None:
    store.upsert(
        [
            make_chunk(text="pricing for the team plan", dense=_unit(1), index=0),
            make_chunk(text="single sign-on with saml", dense=_unit(2), index=1),
        ]
    )

    hits = store.query(_query(dense=_unit(1), text="saml", mode="sparse"))

    assert [h.payload.text for h in hits] == ["single sign-on with saml"]
    assert store.query(_query(dense=_unit(1), text="nonexistentword", mode="sparse")) == []


def test_limit_caps_the_hits(store: VectorStore) -> None:
    store.upsert([make_chunk(text=f"plan number {i}", dense=_unit(i), index=i) for i in range(8)])
    for mode in MODES:
        assert len(store.query(_query(dense=_unit(0), text="plan", mode=mode, limit=3))) == 3


def test_upsert_is_idempotent_and_replaces_by_id(store: VectorStore) -> None:
    chunk = make_chunk(text="same chunk twice", dense=_unit(7))
    reworded = make_chunk(text="new wording", dense=_unit(7))
    assert reworded.id == chunk.id

    store.upsert([chunk])
    store.upsert([chunk])
    assert store.count() == 1
    assert store.count(source_key=chunk.payload.source_key) == 1

    store.upsert([reworded])
    assert store.count() == 1
    (hit,) = store.query(_query(dense=_unit(7), text="wording", mode="dense"))
    assert hit.payload.text == "new wording"


def test_count_and_source_keys_per_source(store: VectorStore) -> None:
    store.upsert(
        [
            make_chunk(text=f"a {i}", dense=_unit(i), source_key="/r::a.md", index=i)
            for i in range(3)
        ]
        + [make_chunk(text="b", dense=_unit(9), source_key="/r::b.md")]
        + [make_chunk(text="c", dense=_unit(10), source_key="/other::a.md")]
    )

    assert store.count() == 5
    assert store.count(source_key="/r::a.md") == 3
    assert store.count(source_key="/r::b.md") == 1
    assert store.count(source_key="/other::a.md") == 1
    assert store.count(source_key="/r::missing.md") == 0
    assert store.source_keys() == {"/r::a.md", "/r::b.md", "/other::a.md"}


def test_delete_source_removes_only_that_source(store: VectorStore) -> None:
    keep = make_chunk(text="keep me", dense=_unit(1), source_key="/r::keep.md")
    gone = [
        make_chunk(text=f"drop me {i}", dense=_unit(2 + i), source_key="/r::drop.md", index=i)
        for i in range(2)
    ]
    # A key that merely starts like the deleted one must survive: matching is exact.
    prefix = make_chunk(text="drop me too?", dense=_unit(5), source_key="/r::drop.md.bak")
    store.upsert([keep, *gone, prefix])

    store.delete_source("/r::drop.md")

    assert store.count(source_key="/r::drop.md") == 0
    assert store.count() == 2
    assert store.source_keys() == {"/r::keep.md", "/r::drop.md.bak"}
    for mode in MODES:
        ids = _ids(store, _query(dense=_unit(2), text="drop me", mode=mode))
        assert not {c.id for c in gone} & set(ids)


def test_delete_source_without_a_match_changes_nothing(store: VectorStore) -> None:
    chunks = [make_chunk(text=f"v {i}", dense=_unit(i), doc_hash="h1", index=i) for i in range(2)]
    store.upsert(chunks)

    store.delete_source("/r::never-ingested.md")
    store.delete_source("/r::never-ingested.md", keep_doc_hash="h1")
    # Keeping the version that is stored keeps all of it.
    store.delete_source(chunks[0].payload.source_key, keep_doc_hash="h1")

    assert store.count() == 2


def test_delete_source_keeping_a_version_removes_the_old_one(store: VectorStore) -> None:
    key = "/r::page.md"
    old = [
        make_chunk(text=f"old version {i}", dense=_unit(i), source_key=key, doc_hash="old", index=i)
        for i in range(3)
    ]
    new = [
        make_chunk(text=f"new version {i}", dense=_unit(i), source_key=key, doc_hash="new", index=i)
        for i in range(2)
    ]
    other = make_chunk(text="other source old version", dense=_unit(9), doc_hash="old")
    store.upsert([*old, *new, other])
    assert store.count(source_key=key) == 5

    store.delete_source(key, keep_doc_hash="new")

    assert store.count(source_key=key) == 2
    assert store.count(source_key=other.payload.source_key) == 1
    hits = store.query(_query(dense=_unit(0), text="version", mode="hybrid"))
    assert {h.payload.doc_hash for h in hits if h.payload.source_key == key} == {"new"}
    assert {h.id for h in hits} == {c.id for c in [*new, other]}


def test_public_query_never_returns_an_internal_chunk_even_a_perfect_match(
    store: VectorStore,
) -> None:
    secret_text = "floor price harbor code"
    query_dense = _unit(11)
    # The internal chunk's vectors are exactly the query's: the best possible match in every
    # branch. Only the filter can keep it out.
    internal = make_chunk(
        text=secret_text,
        dense=query_dense,
        sparse=query_vector(secret_text),
        source_key="/internal::playbook.md",
        visibility="internal",
    )
    public = make_chunk(text="public pricing page", dense=_unit(12), source_key="/docs::pricing.md")
    store.upsert([internal, public])

    for mode in MODES:
        visible = store.query(
            _query(
                dense=query_dense, text=secret_text, mode=mode, visibilities=("public",), limit=50
            )
        )
        everything = store.query(_query(dense=query_dense, text=secret_text, mode=mode, limit=50))

        assert [h.payload.visibility for h in visible] == ["public"] * len(visible), mode
        assert internal.id not in {h.id for h in visible}, mode
        # The same query without the filter finds it first: the assertions above can fail.
        assert everything[0].id == internal.id, mode


def test_public_query_over_only_internal_chunks_returns_nothing(store: VectorStore) -> None:
    store.upsert(
        [
            make_chunk(text=f"internal note {i}", dense=_unit(i), visibility="internal", index=i)
            for i in range(5)
        ]
    )
    for mode in MODES:
        query = _query(dense=_unit(0), text="internal note", mode=mode, visibilities=("public",))
        assert store.query(query) == [], mode


def test_internal_only_query_returns_only_internal_chunks(store: VectorStore) -> None:
    public = make_chunk(text="shared words", dense=_unit(1), source_key="/d::p.md")
    internal = make_chunk(
        text="shared words", dense=_unit(2), source_key="/i::i.md", visibility="internal"
    )
    store.upsert([public, internal])

    for mode in MODES:
        hits = store.query(
            _query(dense=_unit(1), text="shared words", mode=mode, visibilities=("internal",))
        )
        assert [h.id for h in hits] == [internal.id], mode
