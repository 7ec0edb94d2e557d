"""Read a file's bytes and reject what cannot be indexed before any parser sees it."""

from __future__ import annotations

import codecs
from pathlib import Path

from ingestion.errors import (
    BinaryDocument,
    DocumentTooLarge,
    EmptyDocument,
    UndecodableDocument,
)

# Enough to catch binary files without scanning a whole large text file.
SNIFF_BYTES = 8192


def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """Read a file, refusing ones over the size limit or with nothing but whitespace."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLarge(path, size, max_bytes)
    data = path.read_bytes()
    if not data:
        raise EmptyDocument(path, "is empty (0 bytes)")
    if not data.strip():
        raise EmptyDocument(path, "contains only whitespace")
    return data


def decode_text(path: Path, data: bytes) -> str:
    """Decode a text format as UTF-8 (a BOM is allowed) with newlines normalised to \\n."""
    nul = data.find(b"\x00", 0, SNIFF_BYTES)
    if nul >= 0:
        raise BinaryDocument(path, nul)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = start + err.start
        raise UndecodableDocument(path, offset, data[offset]) from None
    if not text.strip():
        raise EmptyDocument(path, "contains only whitespace")
    return text.replace("\r\n", "\n").replace("\r", "\n")
