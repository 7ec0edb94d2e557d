"""Reduce MDX to plain Markdown: drop ESM lines and unwrap or drop JSX components."""

from __future__ import annotations

import re
import textwrap

from ingestion.loaders.jsx_tags import JsxTag, find_brace_end, parse_tag
from ingestion.loaders.markdown_syntax import fence

_FENCE_OPEN = re.compile(r"^ *(`{3,}|~{3,})")
_MARKER = re.compile(
    r"(?<![\w`])<[A-Z][a-z]\w*(?:\.[A-Za-z]\w*)*(?=[\s/>])"
    r"|(?<!`)</[A-Z][a-z]\w*(?:\.[A-Za-z]\w*)*\s*>"
    r"|(?P<comment>\{/\*)"
    r"|(?P<literal>\{\s*`)"
)
_ESM_START = re.compile(
    r"^(?:import\s+(?:[\w*{]|[\"'])"
    r"|export\s+(?:default\b|const\b|let\b|var\b|function\b|class\b|async\b|\{|\*))"
)
_EXTRA_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
# Lines holding only HTML tags (layout wrappers, images) carry no words to index.
_TAG_ONLY_LINE = re.compile(r"^[ \t]*(?:</?[a-z][\w-]*(?:\s[^<>]*)?>[ \t]*)+$", re.MULTILINE)
_HTML_LINK = re.compile(r"<a\s[^<>]*?href=\"([^\"]*)\"[^<>]*>([^<>]*)</a>")
_HTML_CODE = re.compile(r"<code>([^<>`]*)</code>")
# Only real HTML element names: `<service>`-style placeholders must survive.
_HTML_TAG = re.compile(
    r"</?(?:span|p|div|kbd|em|strong|b|i|u|sup|sub|small|center|img|picture|source"
    r"|figure|figcaption|details|summary)\b[^<>]*>"
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_BREAK = re.compile(r"<br\s*/?>")
_INLINE_CODE = re.compile(r"``.*?``|`[^`\n]*`")


def reduce_mdx(text: str) -> str:
    """Return Markdown with MDX imports, exports and JSX components reduced to their text."""
    reducer = _Reducer()
    parts = []
    for is_code, segment in split_fences(text):
        parts.append(reducer.code(segment) if is_code else reducer.prose(segment))
    return "".join(parts)


def split_fences(text: str) -> list[tuple[bool, str]]:
    """Split Markdown into alternating prose and fenced-code segments (True marks code)."""
    segments: list[tuple[bool, str]] = []
    current: list[str] = []
    closer: re.Pattern[str] | None = None
    for line in text.splitlines(keepends=True):
        if closer is None:
            opened = _FENCE_OPEN.match(line)
            if opened is not None:
                _flush(segments, current, is_code=False)
                marker = opened.group(1)
                closer = re.compile(rf"^ *{re.escape(marker[0])}{{{len(marker)},}}\s*$")
            current.append(line)
        else:
            current.append(line)
            if closer.match(line):
                _flush(segments, current, is_code=True)
                closer = None
    _flush(segments, current, is_code=closer is not None)
    return segments


def _flush(segments: list[tuple[bool, str]], lines: list[str], *, is_code: bool) -> None:
    """Move the collected lines into `segments` as one segment."""
    if lines:
        segments.append((is_code, "".join(lines)))
        lines.clear()


class _Reducer:
    """Rewrites segments in order, remembering which components are open."""

    def __init__(self) -> None:
        self.stack: list[JsxTag] = []

    def code(self, segment: str) -> str:
        """Keep a code fence, moving it out of the indentation of an enclosing component."""
        if not self.stack:
            return segment
        lines = segment.splitlines(keepends=True)
        indent = len(lines[0]) - len(lines[0].lstrip(" "))
        return "".join(line[min(indent, len(line) - len(line.lstrip(" "))) :] for line in lines)

    def prose(self, segment: str) -> str:
        """Rewrite Markdown prose, replacing each JSX tag, comment and code literal."""
        if not self.stack:
            segment = _drop_esm(segment)
        out: list[str] = []
        pos, at_line_start = 0, True
        while (match := _MARKER.search(segment, pos)) is not None:
            start = match.start()
            out.append(self._text(segment[pos:start], at_line_start=at_line_start))
            replaced = self._replace(segment, match)
            if replaced is None:
                # Not a complete tag: keep the character and look further on.
                out.append(segment[start])
                pos, at_line_start = start + 1, False
                continue
            end, replacement = replaced
            pos, at_line_start = _place(segment, out, start, end, replacement)
        out.append(self._text(segment[pos:], at_line_start=at_line_start))
        text = _TAG_ONLY_LINE.sub("", _reduce_html("".join(out)))
        return _EXTRA_BLANK_LINES.sub("\n\n", text)

    def _replace(self, segment: str, match: re.Match[str]) -> tuple[int, str] | None:
        """Return where the construct at `match` ends and the Markdown that replaces it."""
        start = match.start()
        if match.group("comment"):
            end = segment.find("*/}", start)
            return None if end < 0 else (end + 3, "")
        if match.group("literal"):
            return self._literal_child(segment, start)
        tag = parse_tag(segment, start)
        if tag is None:
            return None
        if tag.closing:
            self._close(tag.name)
            return tag.end, ""
        if tag.self_closing:
            return tag.end, _self_closing_text(tag)
        self.stack.append(tag)
        title = tag.attrs.get("title") or tag.attrs.get("label")
        return tag.end, f"**{title}**" if title else ""

    def _literal_child(self, segment: str, start: int) -> tuple[int, str] | None:
        """Turn a ``{`code`}`` child of a component (a code tab) into a fenced block."""
        end = find_brace_end(segment, start) if self.stack else None
        if end is None:
            return None
        expression = segment[start + 1 : end - 1].strip()
        if len(expression) < 2 or not expression.endswith("`"):
            return None
        languages = [tag.attrs["lang"] for tag in self.stack if "lang" in tag.attrs]
        language = languages[-1] if languages else ""
        return end, fence(_dedent_literal(expression[1:-1]), language)

    def _close(self, name: str) -> None:
        """Pop the stack down to and including the innermost open `name`, if any."""
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].name == name:
                del self.stack[depth:]
                return

    def _text(self, chunk: str, *, at_line_start: bool) -> str:
        """Remove the indentation components give their content, which would read as code."""
        if not self.stack:
            return chunk
        if at_line_start:
            return textwrap.dedent(chunk)
        head, newline, tail = chunk.partition("\n")
        return head + newline + textwrap.dedent(tail)


def _place(
    segment: str, out: list[str], start: int, end: int, replacement: str
) -> tuple[int, bool]:
    """Append `replacement`, as its own block if the construct filled its lines."""
    line_start = segment.rfind("\n", 0, start) + 1
    line_end = segment.find("\n", end)
    line_end = len(segment) if line_end < 0 else line_end
    if not segment[line_start:start].strip() and not segment[end:line_end].strip():
        if out:
            out[-1] = out[-1].rstrip(" \t")
        out.append(f"\n\n{replacement}\n\n" if replacement else "\n\n")
        return line_end + 1, True
    out.append(f"{replacement} " if replacement else "")
    return end, False


def _reduce_html(text: str) -> str:
    """Turn inline HTML into Markdown or plain words, leaving inline code spans alone."""
    # A link's words may hold inline code, so links are rewritten before code is set aside.
    text = _HTML_LINK.sub(r"[\2](\1)", _HTML_COMMENT.sub("", text))
    parts: list[str] = []
    pos = 0
    for code in _INLINE_CODE.finditer(text):
        parts.extend((_reduce_html_words(text[pos : code.start()]), code.group(0)))
        pos = code.end()
    parts.append(_reduce_html_words(text[pos:]))
    return "".join(parts)


def _reduce_html_words(text: str) -> str:
    """Rewrite code as Markdown, breaks as spaces, and drop wrapper tags."""
    if "<" not in text:
        return text
    text = _HTML_CODE.sub(r"`\1`", text)
    return _HTML_TAG.sub("", _HTML_BREAK.sub(" ", text))


def _self_closing_text(tag: JsxTag) -> str:
    """Keep what a self-closing component says in words or code; drop the rest."""
    parts = []
    title = tag.attrs.get("title")
    if title:
        description = tag.attrs.get("description")
        parts.append(f"**{title}**: {description}" if description else f"**{title}**")
    language = tag.attrs.get("lang", "")
    parts.extend(fence(_dedent_literal(code), language) for code in tag.literals if code.strip())
    return "\n\n".join(parts)


def _dedent_literal(code: str) -> str:
    """Dedent a template literal whose first line sits right after the backtick."""
    head, newline, tail = code.partition("\n")
    return head + newline + textwrap.dedent(tail)


def _drop_esm(segment: str) -> str:
    """Drop MDX `import`/`export` statements, including ones spanning several lines."""
    kept: list[str] = []
    depth, block_start = 0, True
    for line in segment.splitlines(keepends=True):
        if depth > 0 or (block_start and _ESM_START.match(line)):
            depth = max(0, depth + _bracket_balance(line))
            block_start = True
            continue
        kept.append(line)
        block_start = not line.strip()
    return "".join(kept)


def _bracket_balance(line: str) -> int:
    """Count opening minus closing brackets, to follow a statement over several lines."""
    return sum(line.count(c) for c in "{([") - sum(line.count(c) for c in "})]")
