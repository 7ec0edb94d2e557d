"""Errors raised while loading documents; each tells a person what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

from leads.errors import ClinchError


class IngestionError(ClinchError):
    """Ingestion could not complete."""


class DocumentError(IngestionError):
    """One file could not be turned into a document."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path.name}: {message}")
        self.path = path

    def __str__(self) -> str:
        return self.message


# Each subclass sets `args` to its constructor arguments so the error survives pickling
# (task queues pickle exceptions and rebuild them with `type(err)(*err.args)`).


class UnsupportedDocument(DocumentError):
    """The file's extension is not one ingestion can read."""

    def __init__(self, path: Path, supported: tuple[str, ...]) -> None:
        found = path.suffix.lower() or "(no extension)"
        super().__init__(
            path,
            f"unsupported file type {found}. Supported types: {', '.join(supported)}. "
            "Convert the file to one of these (for example export it as PDF or Markdown) "
            "or remove it from the document folder.",
        )
        self.args = (path, supported)


class EmptyDocument(DocumentError):
    """The file has no text worth indexing."""

    def __init__(self, path: Path, detail: str = "is empty") -> None:
        super().__init__(
            path, f"the file {detail}, so there is nothing to index. Add content or remove it."
        )
        self.args = (path, detail)


class BinaryDocument(DocumentError):
    """A text format that holds binary data."""

    def __init__(self, path: Path, offset: int) -> None:
        super().__init__(
            path,
            f"the file looks binary, not text (NUL byte at byte offset {offset}). "
            "Check that it really is a text file with the right extension, saved as UTF-8 "
            "(UTF-16 files also contain NUL bytes).",
        )
        self.args = (path, offset)


class UndecodableDocument(DocumentError):
    """A text format that is not valid UTF-8."""

    def __init__(self, path: Path, offset: int, byte: int) -> None:
        super().__init__(
            path,
            f"the file is not valid UTF-8 (byte 0x{byte:02x} at byte offset {offset}). "
            "Re-save it with UTF-8 encoding.",
        )
        self.args = (path, offset, byte)


class CorruptDocument(DocumentError):
    """The file's structure could not be parsed."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"the file could not be read: {reason}. "
            "Re-export or re-download it, then add it again.",
        )
        self.args = (path, reason)


class DocumentTooLarge(DocumentError):
    """The file is bigger than the configured limit."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(
            path,
            f"the file is too large: {human_size(size)} > limit {human_size(limit)}. "
            "Split it into smaller files or raise the size limit.",
        )
        self.args = (path, size, limit)


def human_size(size: int) -> str:
    """Format a byte count for a person, e.g. 12.3 MB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


class SourceNotFound(IngestionError):
    """The folder or file to ingest does not exist."""


class IngestJobNotFound(IngestionError):
    """No ingest job has this id."""


class IngestQueueUnavailable(IngestionError):
    """The job queue (Celery broker) could not take the job."""
