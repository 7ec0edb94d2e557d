"""The values ingestion hands to other packages: a loaded document and its chunks."""

from __future__ import annotations

from dataclasses import dataclass

HEADING_SEPARATOR = " > "


@dataclass(frozen=True)
class LoadedDocument:
    """One source file, its body normalised to Markdown."""

    text: str
    title: str
    url: str | None
    visibility: str | None
    kind: str


@dataclass(frozen=True)
class Chunk:
    """A piece of one section of a document, sized for embedding."""

    text: str
    heading_path: tuple[str, ...]
    index: int

    @property
    def embed_text(self) -> str:
        """Return the heading path and body, the text that is embedded and indexed."""
        return HEADING_SEPARATOR.join(self.heading_path) + "\n\n" + self.text
