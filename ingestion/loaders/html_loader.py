"""Load HTML files as Markdown: headings, paragraphs, lists, tables and code survive."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from ingestion.documents import LoadedDocument
from ingestion.loaders.markdown_syntax import escape_line_start, fence
from ingestion.loaders.titles import title_from_stem

# Page furniture and non-text elements repeat on every page and carry no answers.
_DROPPED = (
    "script", "style", "nav", "footer", "header", "aside", "noscript", "form",
    "template", "svg", "iframe", "head", "title",
)  # fmt: skip
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CONTAINERS = {
    "html", "body", "main", "article", "section", "div", "figure", "figcaption",
    "details", "summary", "dl", "dt", "dd", "center", "address",
}  # fmt: skip
_BLOCKS = {"p", "ul", "ol", "table", "pre", "blockquote", "hr", *_HEADINGS, *_CONTAINERS}
_WHITESPACE = re.compile(r"\s+")


def load_html(path: Path, text: str) -> LoadedDocument:
    """Build a document from an HTML page's readable content."""
    soup = BeautifulSoup(text, "html.parser")
    title = _title(soup) or title_from_stem(path)
    for element in soup.find_all(_DROPPED):
        element.decompose()
    blocks: list[str] = []
    _render_children(soup.body or soup, blocks)
    return LoadedDocument(
        text="\n\n".join(blocks), title=title, url=None, visibility=None, kind="html"
    )


def _title(soup: BeautifulSoup) -> str | None:
    """Return the page's <title>, else its first <h1>."""
    for element in (soup.title, soup.find("h1")):
        if element is not None and (text := _inline(element)):
            return text
    return None


def _render_children(node: Tag, blocks: list[str]) -> None:
    """Append Markdown blocks for a node's children, gathering loose inline text."""
    inline: list[str] = []
    for child in node.children:
        if isinstance(child, Tag) and child.name in _BLOCKS:
            _flush_inline(inline, blocks)
            _render_block(child, blocks)
        elif isinstance(child, Tag):
            inline.append(_inline(child, collapse=False))
        elif type(child) is NavigableString:
            inline.append(str(child))
    _flush_inline(inline, blocks)


def _flush_inline(inline: list[str], blocks: list[str]) -> None:
    """Turn gathered inline text into a paragraph block."""
    text = _WHITESPACE.sub(" ", "".join(inline)).strip()
    inline.clear()
    if text:
        blocks.append(escape_line_start(text))


def _render_block(element: Tag, blocks: list[str]) -> None:
    """Append the Markdown for one block element."""
    name = element.name
    if name in _HEADINGS:
        if text := _inline(element):
            blocks.append(f"{'#' * _HEADINGS[name]} {text}")
    elif name == "p":
        _flush_inline([_inline(element)], blocks)
    elif name in ("ul", "ol"):
        if lines := _list_lines(element, depth=0):
            blocks.append("\n".join(lines))
    elif name == "table":
        if table := _table(element):
            blocks.append(table)
    elif name == "pre":
        _pre(element, blocks)
    elif name == "blockquote":
        _blockquote(element, blocks)
    elif name != "hr":
        _render_children(element, blocks)


def _blockquote(element: Tag, blocks: list[str]) -> None:
    """Append a <blockquote> as `> ` lines around its rendered blocks."""
    quoted: list[str] = []
    _render_children(element, quoted)
    if quoted:
        lines = "\n\n".join(quoted).split("\n")
        blocks.append("\n".join(f"> {line}".rstrip() for line in lines))


def _pre(element: Tag, blocks: list[str]) -> None:
    """Append a <pre> block as fenced code, keeping a `language-x` class as its language."""
    code = element.get_text()
    if not code.strip():
        return
    inner = element.find("code")
    classes = inner.get("class") if isinstance(inner, Tag) else None
    language = next(
        (c.removeprefix("language-") for c in classes or [] if c.startswith("language-")), ""
    )
    blocks.append(fence(code, language))


def _list_lines(element: Tag, depth: int) -> list[str]:
    """Return `- ` lines for a list's items, nested lists indented under their item."""
    lines: list[str] = []
    for item in element.find_all("li", recursive=False):
        words: list[str] = []
        nested: list[str] = []
        for child in item.children:
            if isinstance(child, Tag) and child.name in ("ul", "ol"):
                nested.extend(_list_lines(child, depth + 1))
            elif isinstance(child, Tag):
                words.append(_inline(child, collapse=False))
            elif type(child) is NavigableString:
                words.append(str(child))
        text = _WHITESPACE.sub(" ", "".join(words)).strip()
        if text:
            lines.append(f"{'  ' * depth}- {text}")
        lines.extend(nested)
    return lines


def _table(element: Tag) -> str | None:
    """Return a Markdown pipe table for an HTML table, its first row as the header."""
    rows = []
    for row in element.find_all("tr"):
        cells = [_inline(cell).replace("|", "\\|") for cell in row.find_all(["th", "td"])]
        if any(cells):
            rows.append(cells)
    if not rows:
        return None
    width = max(len(cells) for cells in rows)
    padded = [cells + [""] * (width - len(cells)) for cells in rows]
    lines = [_table_row(padded[0]), _table_row(["---"] * width)]
    lines.extend(_table_row(cells) for cells in padded[1:])
    return "\n".join(lines)


def _table_row(cells: list[str]) -> str:
    """Return one pipe-table row."""
    return "| " + " | ".join(cells) + " |"


def _inline(element: Tag, *, collapse: bool = True) -> str:
    """Return an element's text with inline code and strong emphasis kept as Markdown."""
    parts: list[str] = []
    for child in element.children:
        if isinstance(child, Tag):
            text = _inline(child, collapse=False)
            if child.name == "code" and text.strip():
                text = f"`{text.strip()}`"
            elif child.name in ("strong", "b") and text.strip():
                text = f"**{text.strip()}**"
            elif child.name == "br":
                text = " "
            parts.append(text)
        elif type(child) is NavigableString:
            parts.append(str(child))
    joined = "".join(parts)
    return _WHITESPACE.sub(" ", joined).strip() if collapse else joined
