"""The offline composer answers with retrieved sentences only, cited by page."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from assistant.composer import compose
from assistant.grounding import check_answer
from retrieval.embedder import FloatMatrix, SentenceEmbedder
from retrieval.schemas import RetrievedChunk
from retrieval.sentences import pack_vectors, quotable_sentences, split_sentences, unpack_vectors


def _chunk(n: int, title: str, text: str) -> RetrievedChunk:
    return RetrievedChunk(
        id=f"c{n}",
        text=text,
        title=title,
        source=f"{title.lower().replace(' ', '-')}.md",
        url=f"https://quillstack.example/docs/{n}",
        heading_path=(title,),
        visibility="public",
        score=1.0 / n,
    )


CHUNKS = [
    _chunk(
        1,
        "SSO and SAML",
        "# SSO and SAML\n\nQuillstack supports single sign-on with SAML 2.0 on the Business plan. "
        "You can connect Okta, Azure AD or Google Workspace. "
        "SCIM provisioning keeps your users in sync.",
    ),
    _chunk(
        2,
        "GitHub integration",
        "Connect a **GitHub** repository to publish docs on every push. "
        "See [the setup guide](https://x.example/setup) for details.",
    ),
    _chunk(
        3,
        "Limits",
        "| Plan | Seats |\n|---|---|\n| Team | 50 |\n\nThe Team plan allows up to 50 seats.",
    ),
]


def test_sentences_are_split_and_markup_removed() -> None:
    sentences = split_sentences(CHUNKS[1].text)
    assert sentences == [
        "Connect a GitHub repository to publish docs on every push.",
        "See the setup guide for details.",
    ]
    assert "|---|---|" not in split_sentences(CHUNKS[2].text)


def test_the_answer_is_made_of_source_sentences_with_citations(
    embedder: SentenceEmbedder,
) -> None:
    draft = compose("Do you support SAML single sign-on?", CHUNKS, embedder=embedder)
    assert draft.text.startswith("Quillstack supports single sign-on with SAML 2.0")
    assert draft.citations[0].title == "SSO and SAML"
    # Every sentence of the answer is a sentence of the page it cites.
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]\s*", draft.text):
        cited = next(c for c in draft.citations if c.n == int(n))
        page = next(c for c in CHUNKS if c.title == cited.title)
        assert sentence.strip() in split_sentences(page.text)
    sources = {c.n: next(x.text for x in CHUNKS if x.title == c.title) for c in draft.citations}
    assert check_answer(draft.text, citations=draft.citations, sources=sources).ok


def test_nothing_to_say_gives_an_empty_draft(embedder: SentenceEmbedder) -> None:
    draft = compose("anything", [_chunk(1, "Tiny", "Hi.")], embedder=embedder)
    assert draft.text == ""
    assert draft.citations == ()


class QueryOnly:
    """The real embedder for the question, but one that refuses to embed passages."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self._inner = inner
        self.dimension = inner.dimension
        self.name = inner.name

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        """Fail: stored sentence vectors should make this unnecessary."""
        raise AssertionError(f"unexpected embedding of {len(texts)} passages")

    def embed_query(self, text: str) -> FloatMatrix:
        """Embed the question."""
        return self._inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        """Count tokens with the inner embedder."""
        return self._inner.count_tokens(text)


def test_stored_sentence_vectors_answer_without_embedding_passages(
    embedder: SentenceEmbedder,
) -> None:
    stored = []
    for chunk in CHUNKS:
        sentences = quotable_sentences(chunk.text)
        matrix = embedder.embed_documents(sentences)
        vectors = unpack_vectors(
            pack_vectors(matrix), rows=len(sentences), dimension=embedder.dimension
        )
        stored.append(replace(chunk, sentences=tuple(sentences), sentence_vectors=vectors))
    question = "Do you support SAML single sign-on?"

    fast = compose(question, stored, embedder=QueryOnly(embedder))

    assert fast == compose(question, CHUNKS, embedder=embedder)
    with pytest.raises(AssertionError, match="unexpected embedding"):
        compose(question, CHUNKS, embedder=QueryOnly(embedder))
