"""Check an answer before it is sent: its citations and every figure it states.

Every `[n]` must point to a source the answer was given. Every number (a price, a limit, a
percentage) must be one the catalog states, or appear in one of the sources the answer cites.
A price keeps its currency sign: "$5" passes only where "$5" is written, not where "5 GB" is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from assistant.schemas import Citation, Grounding

_MARKER = re.compile(r"\[(\d+)\]")
_FIGURE = re.compile(r"(?<![\w.])([$€£]\s?)?(\d[\d,]*(?:\.\d+)?)(?:\s?(%|k|K))?")


def figures(text: str) -> list[str]:
    """Return the figures a text states, normalised ("$8.50", "85", "20%"); `[n]` excluded."""
    found: list[str] = []
    for match in _FIGURE.finditer(_MARKER.sub(" ", text)):
        sign, number, suffix = match.group(1), match.group(2), match.group(3)
        number = number.replace(",", "").rstrip(".")
        if not number:
            continue
        found.append(f"{(sign or '').strip()}{number}{(suffix or '').lower()}")
    return found


def check_answer(
    text: str,
    *,
    citations: tuple[Citation, ...],
    sources: Mapping[int, str],
    allowed: Set[str] = frozenset(),
) -> Grounding:
    """Return whether an answer cites only its sources and states only figures it may state."""
    problems: list[str] = []
    known = {c.n for c in citations}
    for marker in sorted({int(n) for n in _MARKER.findall(text)}):
        if marker not in known or marker not in sources:
            problems.append(f"[{marker}] points to no source the answer was given")
    cited_figures = {f for n in known if n in sources for f in figures(sources[n])}
    catalog = {f for fact in allowed for f in figures(fact)}
    for figure in figures(text):
        if figure not in catalog and figure not in cited_figures:
            problems.append(f"{figure} is neither in the catalog nor in a cited source")
    return Grounding(ok=not problems, problems=tuple(problems))
