"""Read one JSX tag (`<Name attr="v" expr={...} />`) out of MDX text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TAG_NAME = re.compile(r"<(/?)([A-Za-z][\w]*(?:\.[A-Za-z]\w*)*)")
_ATTR_NAME = re.compile(r"[A-Za-z_:][\w:.-]*")
_QUOTES = "\"'`"


@dataclass(frozen=True)
class JsxTag:
    """A parsed opening, closing or self-closing JSX tag and where it ends."""

    name: str
    end: int
    closing: bool = False
    self_closing: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    # Template-literal attributes (``query={`...`}``) hold code worth keeping.
    literals: tuple[str, ...] = ()


def parse_tag(text: str, start: int) -> JsxTag | None:
    """Parse the tag at `start`, or return None if the text there is not a complete tag."""
    match = _TAG_NAME.match(text, start)
    if match is None:
        return None
    pos = _skip_space(text, match.end())
    if match.group(1):
        if text.startswith(">", pos):
            return JsxTag(name=match.group(2), end=pos + 1, closing=True)
        return None
    attrs: dict[str, str] = {}
    literals: list[str] = []
    while pos < len(text):
        if text.startswith("/>", pos) or text.startswith(">", pos):
            closing_len = 2 if text[pos] == "/" else 1
            return JsxTag(
                name=match.group(2),
                end=pos + closing_len,
                self_closing=closing_len == 2,
                attrs=attrs,
                literals=tuple(literals),
            )
        parsed = _parse_attr(text, pos)
        if parsed is None:
            return None
        name, value, is_literal, pos = parsed
        if is_literal:
            literals.append(value)
        attrs[name] = value
        pos = _skip_space(text, pos)
    return None


def _parse_attr(text: str, pos: int) -> tuple[str, str, bool, int] | None:
    """Parse `name`, `name="v"` or `name={expr}`; return name, value, is-literal, end."""
    match = _ATTR_NAME.match(text, pos)
    if match is None:
        return None
    pos = _skip_space(text, match.end())
    if not text.startswith("=", pos):
        return match.group(0), "", False, match.end()
    pos = _skip_space(text, pos + 1)
    if pos < len(text) and text[pos] in "\"'":
        close = text.find(text[pos], pos + 1)
        return None if close < 0 else (match.group(0), text[pos + 1 : close], False, close + 1)
    end = find_brace_end(text, pos) if text.startswith("{", pos) else None
    if end is None:
        return None
    expression = text[pos + 1 : end - 1].strip()
    if len(expression) > 1 and expression[0] == "`" and expression[-1] == "`":
        return match.group(0), expression[1:-1], True, end
    return match.group(0), expression, False, end


def find_brace_end(text: str, pos: int) -> int | None:
    """Return the index just past the `}` matching the `{` at `pos`, skipping strings."""
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char in _QUOTES:
            close = _string_end(text, pos)
            if close is None:
                return None
            pos = close
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return None


def _string_end(text: str, pos: int) -> int | None:
    """Return the index just past the JavaScript string literal starting at `pos`."""
    quote = text[pos]
    pos += 1
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == quote:
            return pos + 1
        pos += 1
    return None


def _skip_space(text: str, pos: int) -> int:
    """Return the first index at or after `pos` that is not whitespace."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos
