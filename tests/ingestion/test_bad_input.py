"""Bad files raise typed errors whose messages tell a person what to fix."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from ingestion.errors import (
    BinaryDocument,
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EmptyDocument,
    IngestionError,
    SourceNotFound,
    UndecodableDocument,
    UnsupportedDocument,
)
from ingestion.loaders import load_document
from leads.errors import ClinchError

MAX_BYTES = 1024 * 1024


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pdf_bytes(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def _error(path: Path, max_bytes: int = MAX_BYTES) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        load_document(path, max_bytes=max_bytes)
    return caught.value


@pytest.mark.parametrize("name", ["brochure.docx", "logo.png", "README"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    error = _error(_write(tmp_path / name, b"PK\x03\x04 not really"))
    assert isinstance(error, UnsupportedDocument)
    assert name in error.message
    assert "unsupported file type" in error.message
    assert ".md" in error.message
    assert ".pdf" in error.message
    assert "Convert" in error.message


def test_unsupported_extension_is_checked_before_size(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "big.docx", b"x" * 100), max_bytes=10)
    assert isinstance(error, UnsupportedDocument)


def test_empty_file(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "notes.md", b""))
    assert isinstance(error, EmptyDocument)
    assert "notes.md" in error.message
    assert "empty (0 bytes)" in error.message
    assert "Add content or remove it" in error.message


@pytest.mark.parametrize("data", [b"  \n\t\r\n  ", b"\xef\xbb\xbf \n", "\u00a0\u2003\n".encode()])
def test_whitespace_only_file(tmp_path: Path, data: bytes) -> None:
    error = _error(_write(tmp_path / "blank.txt", data))
    assert isinstance(error, EmptyDocument)
    assert "only whitespace" in error.message


def test_markup_without_text_is_empty(tmp_path: Path) -> None:
    html = b"<html><head><script>track()</script></head><body><nav>Menu</nav></body></html>"
    error = _error(_write(tmp_path / "shell.html", html))
    assert isinstance(error, EmptyDocument)
    assert "no readable text" in error.message
    error = _error(_write(tmp_path / "meta.md", b"---\ntitle: Only metadata\n---\n"))
    assert isinstance(error, EmptyDocument)


def test_binary_markdown(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "image.md", b"# Title\n\x00\x01\x02\x89PNG"))
    assert isinstance(error, BinaryDocument)
    assert "image.md" in error.message
    assert "binary" in error.message
    assert "NUL byte at byte offset 8" in error.message
    assert "UTF-8" in error.message


def test_non_utf8_text(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "menu.txt", b"caf\xe9 au lait"))
    assert isinstance(error, UndecodableDocument)
    assert "menu.txt" in error.message
    assert "not valid UTF-8" in error.message
    assert "0xe9 at byte offset 3" in error.message
    assert "Re-save it with UTF-8" in error.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.md", b"\xef\xbb\xbf# Caf\xc3\xa9\n\nBody.\n")
    doc = load_document(path, max_bytes=MAX_BYTES)
    assert doc.title == "Café"
    assert doc.text.startswith("# Café")


def test_offset_counts_the_bom(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "bom.txt", b"\xef\xbb\xbfab\xff"))
    assert isinstance(error, UndecodableDocument)
    assert "byte offset 5" in error.message


def test_random_bytes_pdf(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "scan.pdf", os.urandom(4096).replace(b"\x00", b"\x01")))
    assert isinstance(error, CorruptDocument)
    assert "scan.pdf" in error.message
    assert "could not parse it as a PDF" in error.message
    assert "Re-export or re-download" in error.message


def test_truncated_pdf(tmp_path: Path) -> None:
    data = _pdf_bytes(["Page one text.", "Page two text."])
    error = _error(_write(tmp_path / "cut.pdf", data[: len(data) // 2]))
    assert isinstance(error, CorruptDocument)
    assert "cut.pdf" in error.message
    assert "PDF (" in error.message


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_pdf_bytes(["Secret pricing."]))))
    writer.encrypt("hunter2", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    error = _error(_write(tmp_path / "locked.pdf", buffer.getvalue()))
    assert isinstance(error, CorruptDocument)
    assert "password" in error.message


def test_pdf_without_text(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "scanned.pdf", _pdf_bytes(["", ""])))
    assert isinstance(error, EmptyDocument)
    assert "no extractable text" in error.message
    assert "OCR" in error.message


def test_invalid_front_matter(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "bad.md", b"---\ntitle: [unclosed\n---\n\nBody.\n"))
    assert isinstance(error, CorruptDocument)
    assert "front matter is not valid YAML" in error.message


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "huge.md", b"\x00" * 5000), max_bytes=1000)
    assert isinstance(error, DocumentTooLarge)
    assert "huge.md" in error.message
    assert "4.9 KB > limit 1000 B" in error.message
    assert "Split it" in error.message


def test_too_large_message_is_human_readable() -> None:
    error = DocumentTooLarge(Path("deck.pdf"), int(12.3 * 1024 * 1024), 10 * 1024 * 1024)
    assert "12.3 MB > limit 10.0 MB" in error.message


def test_errors_are_clinch_errors_and_survive_pickling(tmp_path: Path) -> None:
    error = _error(_write(tmp_path / "menu.txt", b"caf\xe9"))
    assert isinstance(error, IngestionError)
    assert isinstance(error, ClinchError)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is UndecodableDocument
    assert copy.message == error.message
    assert str(copy) == error.message


def test_source_not_found_is_an_ingestion_error() -> None:
    error = SourceNotFound("docs/ does not exist: give a folder or a file to ingest")
    assert isinstance(error, IngestionError)
    assert error.message.startswith("docs/ does not exist")


def test_a_yaml_that_is_not_a_pricing_catalog_says_how_to_name_one(tmp_path: Path) -> None:
    from ingestion.sources import load_source

    path = tmp_path / "config.yaml"
    path.write_text("a: 1\n")
    with pytest.raises(UnsupportedDocument, match=r"pricing\*\.yaml"):
        load_source(path, max_bytes=1_000_000)
