"""Split a Markdown document into heading-aware chunks sized for embedding."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingestion.documents import Chunk, LoadedDocument

CountTokens = Callable[[str], int]

# Only block structure matters here; skipping inline parsing more than halves parse time.
_MARKDOWN = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
_BLOCK_KINDS = {
    "paragraph_open": "prose",
    "blockquote_open": "prose",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "fence": "code",
    "code_block": "code",
    "html_block": "html",
}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_PARAGRAPH, _LINE, _SPACE = "\n\n", "\n", " "


@dataclass(frozen=True)
class _Block:
    """One top-level Markdown block of a section."""

    kind: str
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Section:
    """The blocks under one heading, with the headings that lead to it."""

    path: tuple[str, ...]
    blocks: tuple[_Block, ...]


@dataclass(frozen=True)
class _Piece:
    """An unbreakable run of text with its token count, ready to pack into chunks."""

    text: str
    tokens: int
    joiner: str = _PARAGRAPH
    # Text whose last sentences may open the next chunk; None for tables, code and HTML.
    overlap_source: str | None = None


def chunk_document(
    doc: LoadedDocument,
    *,
    count_tokens: CountTokens,
    max_tokens: int = 200,
    overlap_tokens: int = 40,
) -> list[Chunk]:
    """Split a document into chunks that never cross a section and fit max_tokens."""
    chunks: list[Chunk] = []
    for section in _sections(doc):
        pieces = [
            piece
            for block in section.blocks
            for piece in _block_pieces(block, count_tokens, max_tokens)
        ]
        for text in _pack(pieces, count_tokens, max_tokens, overlap_tokens):
            chunks.append(Chunk(text=text, heading_path=section.path, index=len(chunks)))
    return chunks


def _sections(doc: LoadedDocument) -> list[_Section]:
    """Cut the document into sections at its top-level headings."""
    lines = doc.text.split("\n")
    tokens = _MARKDOWN.parse(doc.text)
    headings: list[tuple[int, str]] = []
    path: tuple[str, ...] = (doc.title,)
    blocks: list[_Block] = []
    sections: list[_Section] = []
    for position, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        if token.type == "heading_open":
            level, text = int(token.tag[1:]), _heading_text(tokens[position + 1])
            if not text or (not headings and level == 1 and _same(text, doc.title)):
                continue
            sections.append(_Section(path, tuple(blocks)))
            blocks = []
            headings = [(lvl, txt) for lvl, txt in headings if lvl < level] + [(level, text)]
            path = (doc.title, *(txt for _, txt in headings))
        elif (kind := _BLOCK_KINDS.get(token.type)) is not None:
            blocks.append(_block(kind, token, tokens, position, lines))
    sections.append(_Section(path, tuple(blocks)))
    return [section for section in sections if section.blocks]


def _block(kind: str, token: Token, tokens: list[Token], position: int, lines: list[str]) -> _Block:
    """Cut a block's source text out of the document, with list items for lists."""
    start, end = token.map or (0, 0)
    text = "\n".join(lines[start:end]).strip()
    if kind != "list":
        return _Block(kind, text)
    items = []
    for item in tokens[position + 1 :]:
        if item.level == 0:
            break
        if item.level == 1 and item.type == "list_item_open" and item.map is not None:
            items.append("\n".join(lines[item.map[0] : item.map[1]]).strip())
    return _Block(kind, text, tuple(items))


def _heading_text(inline: Token) -> str:
    """Return a heading's text, links reduced to their words."""
    return _LINK.sub(r"\1", inline.content).strip()


def _same(heading: str, title: str) -> bool:
    """Tell whether a heading repeats the document title."""
    return heading.casefold().strip(" #") == title.casefold().strip()


def _block_pieces(block: _Block, count: CountTokens, max_tokens: int) -> list[_Piece]:
    """Return a block as one piece, or split into pieces if it exceeds max_tokens."""
    if not block.text:
        return []
    tokens = count(block.text)
    if tokens <= max_tokens:
        source = block.items[-1] if block.items else block.text
        overlap = source if block.kind in ("prose", "list") else None
        return [_Piece(block.text, tokens, overlap_source=overlap)]
    if block.kind == "table":
        return _split_table(block.text, count, max_tokens)
    if block.kind == "code":
        return _split_code(block.text, count, max_tokens)
    if block.kind == "list":
        return _split_list(block.items, count, max_tokens)
    return _split_prose(block.text, count, max_tokens, first_joiner=_PARAGRAPH)


def _split_table(text: str, count: CountTokens, max_tokens: int) -> list[_Piece]:
    """Split a table by rows, repeating the header row and separator in every part."""
    lines = text.split("\n")
    header = "\n".join(lines[:2])
    rows = [(row, count(row)) for row in lines[2:]]
    return [
        _Piece(header + "\n" + "\n".join(part), tokens)
        for part, tokens in _pack_units(rows, count(header), max_tokens)
    ]


def _split_code(text: str, count: CountTokens, max_tokens: int) -> list[_Piece]:
    """Split a code block by lines, re-fencing every part."""
    lines = text.split("\n")
    fenced = lines[0].lstrip().startswith(("```", "~~~"))
    opener, closer = (lines[0], lines[-1]) if fenced and len(lines) > 1 else ("", "")
    body = lines[1:-1] if opener else lines
    overhead = count(f"{opener}\n{closer}") if opener else 0
    units = [unit for line in body for unit in _fit_words(line, count, max_tokens - overhead)]
    wrap = [opener, closer] if opener else ["", ""]
    return [
        _Piece("\n".join([wrap[0], *part, wrap[1]]).strip("\n"), tokens)
        for part, tokens in _pack_units(units, overhead, max_tokens)
    ]


def _split_list(items: tuple[str, ...], count: CountTokens, max_tokens: int) -> list[_Piece]:
    """Split a list between items, and an oversized item between sentences."""
    pieces: list[_Piece] = []
    for item in items:
        joiner = _LINE if pieces else _PARAGRAPH
        tokens = count(item)
        if tokens <= max_tokens:
            pieces.append(_Piece(item, tokens, joiner, overlap_source=item))
        else:
            pieces.extend(_split_prose(item, count, max_tokens, first_joiner=joiner))
    return pieces


def _split_prose(
    text: str, count: CountTokens, max_tokens: int, *, first_joiner: str
) -> list[_Piece]:
    """Split prose into sentence pieces, and oversized sentences into word runs."""
    pieces: list[_Piece] = []
    for sentence in _SENTENCE_BREAK.split(text):
        for unit, tokens in _fit_words(sentence, count, max_tokens):
            joiner = _SPACE if pieces else first_joiner
            pieces.append(_Piece(unit, tokens, joiner, overlap_source=unit))
    return pieces


def _fit_words(text: str, count: CountTokens, max_tokens: int) -> list[tuple[str, int]]:
    """Return the text with its count, or word runs of at most max_tokens if it is larger."""
    tokens = count(text)
    if tokens <= max_tokens or " " not in text.strip():
        return [(text, tokens)]
    words = [(word, count(word)) for word in text.split()]
    return [(" ".join(run), size) for run, size in _pack_units(words, 0, max_tokens)]


def _pack_units(
    units: list[tuple[str, int]], overhead: int, max_tokens: int
) -> list[tuple[list[str], int]]:
    """Group counted units in order so each group plus overhead stays within max_tokens."""
    groups: list[tuple[list[str], int]] = []
    current: list[str] = []
    used = overhead
    for text, tokens in units:
        if current and used + tokens > max_tokens:
            groups.append((current, used))
            current, used = [], overhead
        current.append(text)
        used += tokens
    if current:
        groups.append((current, used))
    return groups


def _pack(
    pieces: list[_Piece], count: CountTokens, max_tokens: int, overlap_tokens: int
) -> list[str]:
    """Pack a section's pieces into chunk texts, carrying overlap between them."""
    texts: list[str] = []
    current: list[_Piece] = []
    used = 0
    for piece in pieces:
        if current and used + piece.tokens > max_tokens:
            texts.append(_join(current))
            budget = min(overlap_tokens, max_tokens - piece.tokens)
            overlap = _overlap(current, count, budget)
            current = [overlap] if overlap is not None else []
            used = overlap.tokens if overlap is not None else 0
        current.append(piece)
        used += piece.tokens
    if current:
        texts.append(_join(current))
    return [text for text in texts if text]


def _join(pieces: list[_Piece]) -> str:
    """Join pieces with the separator each one asks for."""
    parts = [pieces[0].text]
    for piece in pieces[1:]:
        parts.extend((piece.joiner, piece.text))
    return "".join(parts).strip()


def _overlap(pieces: list[_Piece], count: CountTokens, budget: int) -> _Piece | None:
    """Return the last sentences of the chunk's final paragraph that fit in the budget."""
    taken: list[str] = []
    used = 0
    for piece in reversed(pieces):
        if piece.overlap_source is None:
            break
        for sentence in reversed(_SENTENCE_BREAK.split(piece.overlap_source)):
            tokens = count(sentence)
            if used + tokens > budget:
                return _overlap_piece(taken, used)
            taken.append(sentence)
            used += tokens
        if piece.joiner != _SPACE:
            break
    return _overlap_piece(taken, used)


def _overlap_piece(reversed_sentences: list[str], tokens: int) -> _Piece | None:
    """Build the piece that opens the next chunk from sentences gathered last-first."""
    if not reversed_sentences:
        return None
    return _Piece(" ".join(reversed(reversed_sentences)), tokens)
