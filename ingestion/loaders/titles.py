"""Fallback titles for documents that do not declare one."""

from __future__ import annotations

import re
from pathlib import Path

# Longer first lines are prose, not a title.
MAX_TITLE_CHARS = 80


def title_from_stem(path: Path) -> str:
    """Turn a file name like `getting-started_guide.md` into `Getting started guide`."""
    words = re.sub(r"[-_.\s]+", " ", path.stem).strip()
    if not words:
        return path.name
    return words[0].upper() + words[1:]


def title_from_first_line(text: str) -> str | None:
    """Return the first non-blank line if it is short enough to be a title."""
    for line in text.splitlines():
        candidate = line.strip().lstrip("#").strip()
        if candidate:
            return candidate if len(candidate) <= MAX_TITLE_CHARS else None
    return None
