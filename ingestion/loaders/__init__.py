"""Load a source file into a LoadedDocument whose body is Markdown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingestion.documents import LoadedDocument
from ingestion.errors import EmptyDocument, UnsupportedDocument
from ingestion.loaders.html_loader import load_html
from ingestion.loaders.markdown_loader import load_markdown
from ingestion.loaders.pdf_loader import load_pdf
from ingestion.loaders.reading import decode_text, read_bytes
from ingestion.loaders.text_loader import load_text

__all__ = ["SUPPORTED_EXTENSIONS", "load_document"]

_TEXT_LOADERS: dict[str, Callable[[Path, str], LoadedDocument]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".mdx": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted([*_TEXT_LOADERS, ".pdf"]))


def load_document(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Load a supported file, raising a DocumentError that says what is wrong if it cannot."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedDocument(path, SUPPORTED_EXTENSIONS)
    data = read_bytes(path, max_bytes=max_bytes)
    if suffix == ".pdf":
        document = load_pdf(path, data)
    else:
        document = _TEXT_LOADERS[suffix](path, decode_text(path, data))
    if not document.text.strip():
        raise EmptyDocument(path, "has no readable text once its markup is removed")
    return document
