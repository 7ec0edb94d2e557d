"""Quotable sentences and the packed vectors that travel in a chunk's payload."""

from __future__ import annotations

import numpy as np

from retrieval.embedder import Embedder
from retrieval.sentences import pack_vectors, quotable_sentences, split_sentences, unpack_vectors


def test_quotable_sentences_drop_short_lines_markup_and_table_rules() -> None:
    text = (
        "# Plans\n\nThe **Team** plan includes [SSO](https://x.example/sso). Yes.\n\n"
        "| plan | price |\n|---|---|\n| Team plan for small groups | $8.50 |\n"
    )

    assert split_sentences(text) == [
        "Plans",
        "The Team plan includes SSO.",
        "Yes.",
        "| plan | price |",
        "| Team plan for small groups | $8.50 |",
    ]
    assert quotable_sentences(text) == [
        "The Team plan includes SSO.",
        "| Team plan for small groups | $8.50 |",
    ]


def test_packed_vectors_keep_cosines_within_a_hundredth(embedder: Embedder) -> None:
    texts = ["Single sign-on needs the Business plan.", "Exports run nightly.", "Hi there."]
    vectors = embedder.embed_documents(texts)

    restored = unpack_vectors(pack_vectors(vectors), rows=3, dimension=embedder.dimension)

    assert restored is not None
    assert restored.shape == vectors.shape
    query = embedder.embed_query("which plan has SSO?")
    assert np.abs(restored @ query - vectors @ query).max() < 0.01
    # int8 plus a float32 scale: 388 bytes a 384-d row before base64, a quarter of float32.
    assert len(pack_vectors(vectors)) < vectors.nbytes / 2


def test_unpacking_refuses_a_shape_the_text_does_not_hold() -> None:
    packed = pack_vectors(np.eye(2, 4, dtype=np.float32))

    assert unpack_vectors(packed, rows=2, dimension=4) is not None
    assert unpack_vectors(packed, rows=3, dimension=4) is None
    assert unpack_vectors("not base64!", rows=2, dimension=4) is None
    assert unpack_vectors("", rows=0, dimension=4) is None
    assert pack_vectors(np.zeros((0, 4), dtype=np.float32)) == ""
