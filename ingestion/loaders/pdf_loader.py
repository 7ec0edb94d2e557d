"""Load PDF files with pypdf, one `## Page N` section per page."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from ingestion.documents import LoadedDocument
from ingestion.errors import CorruptDocument, EmptyDocument
from ingestion.loaders.markdown_syntax import plain_text_to_markdown
from ingestion.loaders.titles import title_from_first_line, title_from_stem


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Build a document from a PDF's extractable page text."""
    pages, metadata_title = _read_pdf(path, data)
    sections = [
        f"## Page {number}\n\n{plain_text_to_markdown(text)}"
        for number, text in enumerate(pages, start=1)
        if text.strip()
    ]
    if not sections:
        raise EmptyDocument(
            path, "has no extractable text (it may be scanned images; run OCR on it first)"
        )
    first_text = next(text for text in pages if text.strip())
    return LoadedDocument(
        text="\n\n".join(sections),
        title=metadata_title or title_from_first_line(first_text) or title_from_stem(path),
        url=None,
        visibility=None,
        kind="pdf",
    )


def _read_pdf(path: Path, data: bytes) -> tuple[list[str], str | None]:
    """Return each page's text and the metadata title, or raise CorruptDocument."""
    try:
        contents = _extract(data)
    # pypdf reports malformed input with many exception types, not only PyPdfError.
    except Exception as err:
        reason = str(err).strip() or type(err).__name__
        raise CorruptDocument(path, f"pypdf could not parse it as a PDF ({reason})") from err
    if contents is None:
        raise CorruptDocument(
            path, "it is an encrypted (password-protected) PDF; save a copy without a password"
        )
    return contents


def _extract(data: bytes) -> tuple[list[str], str | None] | None:
    """Return each page's text and the metadata title; None for an encrypted PDF."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return None
    pages = [page.extract_text() or "" for page in reader.pages]
    title = reader.metadata.title if reader.metadata is not None else None
    return pages, (title.strip() or None) if title else None
