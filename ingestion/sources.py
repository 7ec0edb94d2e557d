"""Finding files under a root and turning each into a loaded document."""

from __future__ import annotations

import hashlib
from pathlib import Path

from checkout.catalog_loader import load_catalog
from checkout.catalog_text import render_catalog_markdown
from checkout.errors import CatalogError
from ingestion.documents import LoadedDocument
from ingestion.errors import (
    DocumentTooLarge,
    IngestionError,
    SourceNotFound,
    UnsupportedDocument,
)
from ingestion.loaders import SUPPORTED_EXTENSIONS, load_document

PRICING_SUFFIXES = (".yaml", ".yml", ".csv")
PRICING_PATTERNS = tuple(f"pricing*{suffix}" for suffix in PRICING_SUFFIXES)


def resolve_source(raw: str) -> Path:
    """Return the absolute path of an existing folder or file, or raise SourceNotFound."""
    try:
        path = Path(raw).expanduser().resolve()
        exists = path.exists()
    except (OSError, RuntimeError, ValueError) as exc:
        raise SourceNotFound(f"{raw[:200]!r} is not a usable path ({exc})") from exc
    if not exists:
        raise SourceNotFound(f"{raw[:200]} does not exist: give a folder or a file to ingest")
    return path


def discover(root: Path) -> list[Path]:
    """Return every non-hidden file under root (or root itself if it is a file), sorted."""
    if not root.exists():
        raise SourceNotFound(f"{root} does not exist: give a folder or a file to ingest")
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def is_pricing_file(path: Path) -> bool:
    """Return True for a pricing catalog (pricing*.yaml, pricing*.yml, pricing*.csv)."""
    return path.suffix.lower() in PRICING_SUFFIXES and path.stem.lower().startswith("pricing")


def file_hash(path: Path, *, fingerprint: str, max_bytes: int) -> str:
    """Return the hash deciding re-ingest: the bytes plus how they are processed."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLarge(path, size, max_bytes)
    digest = hashlib.sha256(path.read_bytes())
    digest.update(fingerprint.encode())
    return digest.hexdigest()


def load_source(path: Path, *, max_bytes: int, company: str | None = None) -> LoadedDocument:
    """Load a document, or a pricing catalog rendered as readable text."""
    if not is_pricing_file(path):
        if path.suffix.lower() in PRICING_SUFFIXES:
            # A YAML or CSV file is taken only as a pricing catalog: say how to name one.
            raise UnsupportedDocument(path, (*SUPPORTED_EXTENSIONS, *PRICING_PATTERNS))
        return load_document(path, max_bytes=max_bytes)
    try:
        # A CSV catalog names no company: use the configured one, else the folder's name.
        catalog = load_catalog(path, company=company or path.resolve().parent.name.title())
    except CatalogError as exc:
        # Name the file, not the server's absolute path.
        raise IngestionError(exc.message.replace(str(path), path.name)) from exc
    sections = render_catalog_markdown(catalog)
    text = "\n\n".join(markdown for _, markdown in sections)
    return LoadedDocument(
        text=text, title=f"{catalog.company} pricing", url=None, visibility=None, kind="pricing"
    )
