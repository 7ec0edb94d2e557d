"""Load Markdown and MDX files: front matter, MDX reduction and a title."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from ingestion.documents import LoadedDocument
from ingestion.errors import CorruptDocument
from ingestion.loaders.mdx import reduce_mdx, split_fences
from ingestion.loaders.titles import title_from_stem

_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
# YAML errors quote the whole document; a person needs only the start.
_MAX_REASON_CHARS = 200


def load_markdown(path: Path, text: str) -> LoadedDocument:
    """Build a document from Markdown or MDX text, reading its front matter."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as err:
        reason = " ".join(str(err).split())[:_MAX_REASON_CHARS]
        raise CorruptDocument(path, f"its front matter is not valid YAML ({reason})") from err
    body = reduce_mdx(post.content).strip()
    metadata: dict[str, Any] = post.metadata
    return LoadedDocument(
        text=body,
        title=_field(metadata, "title") or _first_h1(body) or title_from_stem(path),
        url=_field(metadata, "url"),
        visibility=_field(metadata, "visibility"),
        kind="markdown",
    )


def _field(metadata: dict[str, Any], key: str) -> str | None:
    """Return a front matter value as a non-empty string, or None."""
    value = metadata.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _first_h1(body: str) -> str | None:
    """Return the text of the first `# ` heading outside code fences."""
    for is_code, segment in split_fences(body):
        if not is_code and (match := _H1.search(segment)) is not None:
            return match.group(1).strip()
    return None
