"""Load plain-text files."""

from __future__ import annotations

from pathlib import Path

from ingestion.documents import LoadedDocument
from ingestion.loaders.markdown_syntax import plain_text_to_markdown
from ingestion.loaders.titles import title_from_first_line, title_from_stem


def load_text(path: Path, text: str) -> LoadedDocument:
    """Build a document from plain text, its paragraphs kept as Markdown paragraphs."""
    return LoadedDocument(
        text=plain_text_to_markdown(text),
        title=title_from_first_line(text) or title_from_stem(path),
        url=None,
        visibility=None,
        kind="text",
    )
