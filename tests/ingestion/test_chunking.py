"""The chunker splits Markdown along headings into bounded, overlapping chunks."""

from __future__ import annotations

import itertools

from ingestion.chunking import chunk_document
from ingestion.documents import Chunk, LoadedDocument


def _doc(text: str, title: str = "Pricing Plans") -> LoadedDocument:
    return LoadedDocument(text=text, title=title, url=None, visibility=None, kind="markdown")


def _chunk(doc: LoadedDocument, max_tokens: int = 200, overlap_tokens: int = 40) -> list[Chunk]:
    return chunk_document(
        doc,
        count_tokens=lambda s: len(s.split()),
        max_tokens=max_tokens,
        overlap_tokens=overlap_tokens,
    )


def _sentences(tag: str, count: int) -> str:
    return " ".join(f"{tag} sentence number {i} is here." for i in range(count))


def _table(rows: int) -> str:
    lines = ["| Plan | Price | Notes |", "| --- | --- | --- |"]
    lines += [f"| Plan{i} | ${i} | row {i} notes |" for i in range(rows)]
    return "\n".join(lines)


def test_heading_paths_follow_the_outline() -> None:
    text = (
        "# Pricing Plans\n\nIntro text.\n\n## Plans\n\nPlan overview.\n\n"
        "### Subscription pricing\n\nMonthly fee.\n\n## Empty\n\n### Child\n\nChild text.\n"
    )
    chunks = _chunk(_doc(text))
    assert [(c.heading_path, c.text) for c in chunks] == [
        (("Pricing Plans",), "Intro text."),
        (("Pricing Plans", "Plans"), "Plan overview."),
        (("Pricing Plans", "Plans", "Subscription pricing"), "Monthly fee."),
        (("Pricing Plans", "Empty", "Child"), "Child text."),
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]


def test_text_before_the_first_heading_belongs_to_the_title() -> None:
    chunks = _chunk(_doc("Preamble.\n\n## Details\n\nMore.", title="Guide"))
    assert chunks[0].heading_path == ("Guide",)
    assert chunks[0].text == "Preamble."


def test_embed_text_prefixes_the_heading_path() -> None:
    chunk = Chunk(text="Body.", heading_path=("Pricing Plans", "Plans"), index=0)
    assert chunk.embed_text == "Pricing Plans > Plans\n\nBody."


def test_chunks_never_straddle_sections() -> None:
    text = "\n\n".join(
        f"## {tag}\n\n{_sentences(tag, 30)}\n\n{_sentences(tag, 12)}"
        for tag in ("Alpha", "Beta", "Gamma")
    )
    chunks = _chunk(_doc(text), max_tokens=60, overlap_tokens=12)
    assert {c.heading_path[-1] for c in chunks} == {"Alpha", "Beta", "Gamma"}
    for chunk in chunks:
        words = {w for w in chunk.text.split() if w[0].isupper()}
        assert words == {chunk.heading_path[-1]}, chunk.text


def test_max_tokens_is_respected() -> None:
    text = "\n\n".join(
        [
            "## Mixed",
            _sentences("Para", 40),
            "\n".join(f"- item {i} " + "word " * 8 for i in range(30)),
            "```python\n" + "\n".join(f"value_{i} = compute({i}) + 1" for i in range(80)) + "\n```",
            _table(40),
            "word " * 500,
        ]
    )
    chunks = _chunk(_doc(text), max_tokens=50, overlap_tokens=10)
    assert chunks
    assert all(len(c.text.split()) <= 50 for c in chunks)


def test_small_table_stays_whole() -> None:
    table = _table(5)
    text = f"## Plans\n\n{_sentences('Intro', 6)}\n\n{table}\n\n{_sentences('Outro', 6)}"
    chunks = _chunk(_doc(text), max_tokens=60, overlap_tokens=0)
    assert sum(table in c.text for c in chunks) == 1
    assert sum("Plan4" in c.text for c in chunks) == 1


def test_large_table_is_split_by_rows_with_the_header_repeated() -> None:
    chunks = _chunk(_doc(f"## Plans\n\n{_table(60)}"), max_tokens=50)
    assert len(chunks) > 1
    rows_seen = []
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["| Plan | Price | Notes |", "| --- | --- | --- |"]
        assert len(chunk.text.split()) <= 50
        rows_seen += lines[2:]
    assert rows_seen == _table(60).split("\n")[2:]


def test_large_code_block_is_split_by_lines_and_refenced() -> None:
    code = "\n".join(f"print({i})  # step {i}" for i in range(100))
    chunks = _chunk(_doc(f"## Code\n\n```python\n{code}\n```"), max_tokens=60)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("```python\n")
        assert chunk.text.endswith("\n```")
    body = [line for c in chunks for line in c.text.split("\n")[1:-1]]
    assert body == code.split("\n")


def test_code_block_that_fits_stays_whole() -> None:
    code = "```bash\nrailway login\n\nrailway up\n```"
    chunks = _chunk(_doc(f"## Deploy\n\n{_sentences('Deploy', 3)}\n\n{code}"), max_tokens=60)
    assert any(code in c.text for c in chunks)


def test_long_paragraph_splits_at_sentence_boundaries_with_overlap() -> None:
    chunks = _chunk(_doc(f"## Long\n\n{_sentences('Long', 40)}"), max_tokens=50, overlap_tokens=12)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.text.startswith("Long sentence number")
        assert chunk.text.endswith("is here.")
    for previous, current in itertools.pairwise(chunks):
        # Two six-word sentences fit in the 12-token overlap.
        carried = current.text.split(" Long")[:2]
        assert previous.text.endswith(" Long".join(carried))


def test_overlap_carries_the_final_paragraph_into_the_next_chunk() -> None:
    first = _sentences("First", 8)
    second = _sentences("Second", 8)
    chunks = _chunk(_doc(f"## Section\n\n{first}\n\n{second}"), max_tokens=60, overlap_tokens=14)
    assert len(chunks) == 2
    assert chunks[1].text.startswith("First sentence number 6 is here. First sentence number 7")
    assert chunks[1].text.endswith(second)


def test_no_overlap_from_tables_or_code() -> None:
    text = f"## Data\n\n{_table(3)}\n\n{_sentences('After', 5)}"
    chunks = _chunk(_doc(text), max_tokens=50, overlap_tokens=20)
    assert len(chunks) == 2
    assert chunks[1].text.startswith("After sentence number 0")


def test_no_empty_chunks() -> None:
    text = "   \n\n# Pricing Plans\n\n## Empty\n\n---\n\n##   \n\n## Spaces\n\n   \n\n<!-- -->\n"
    chunks = _chunk(_doc(text))
    assert all(c.text.strip() for c in chunks)
    assert _chunk(_doc("## Only headings\n\n### Here")) == []


def test_output_is_deterministic() -> None:
    text = "\n\n".join(f"## S{i}\n\n{_sentences(f'S{i}', 25)}\n\n{_table(12)}" for i in range(4))
    assert _chunk(_doc(text), max_tokens=40) == _chunk(_doc(text), max_tokens=40)


def test_count_tokens_is_called_per_block_not_on_growing_text() -> None:
    paragraphs = [f"Paragraph {i} has a few words." for i in range(100)]
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    chunk_document(_doc("\n\n".join(paragraphs)), count_tokens=count, max_tokens=60)
    assert set(paragraphs) <= set(calls)
    assert len(calls) < 2 * len(paragraphs)
    assert max(len(text) for text in calls) <= max(len(p) for p in paragraphs)
