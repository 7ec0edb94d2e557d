"""Small Markdown writing rules shared by the loaders that produce Markdown."""

from __future__ import annotations

import re

# Line starts that Markdown would read as structure (heading, list, quote, setext rule).
_STRUCTURAL_START = re.compile(r"^(?:#{1,6}(?:\s|$)|[-+*](?:\s|$)|>|=+\s*$|-+\s*$)")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_BACKTICK_RUN = re.compile(r"`{3,}")


def escape_line_start(line: str) -> str:
    """Drop a plain-text line's indent and escape starts Markdown would read as structure."""
    stripped = line.lstrip()
    if _STRUCTURAL_START.match(stripped):
        return "\\" + stripped
    return _ORDERED_START.sub(r"\1\\\2", stripped)


def plain_text_to_markdown(text: str) -> str:
    """Convert plain text to Markdown paragraphs, keeping its blank-line breaks."""
    lines = [escape_line_start(line.rstrip()) if line.strip() else "" for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def fence(code: str, language: str = "") -> str:
    """Wrap code in a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(code)), default=2)
    marker = "`" * max(3, longest + 1)
    body = code.strip("\n")
    return f"{marker}{language}\n{body}\n{marker}"
