"""Read a sequence definition (YAML or JSON) into a checked `Sequence`, naming every problem."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from leads.config_problems import problems_of
from nurture.definition import Sequence, SequenceIn, build_sequence, definition_json
from nurture.errors import InvalidSequence
from nurture.graph import shape_problems

MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class ParsedSequence:
    """A checked sequence, with the JSON a version stores and that JSON's content hash."""

    sequence: Sequence
    definition: dict[str, Any]
    content_hash: str


def parse_sequence(
    text: str, *, source: str = "sequence", templates: Iterable[str] | None = None
) -> ParsedSequence:
    """Parse and check a sequence; raise InvalidSequence listing every problem."""
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise InvalidSequence(source, [f"not YAML or JSON: {exc}"]) from exc
    return check_sequence(data, source=source, templates=templates)


def check_sequence(
    data: Any, *, source: str = "sequence", templates: Iterable[str] | None = None
) -> ParsedSequence:
    """Check a sequence given as data (a parsed file or a request body)."""
    if not isinstance(data, dict):
        raise InvalidSequence(source, ["expected a mapping with `key:`, `name:` and `steps:`"])
    try:
        spec = SequenceIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidSequence(source, problems_of(exc, SequenceIn)) from exc
    sequence = build_sequence(spec)
    problems = shape_problems(sequence, templates=templates)
    if problems:
        raise InvalidSequence(source, problems)
    definition = definition_json(spec)
    return ParsedSequence(
        sequence=sequence, definition=definition, content_hash=content_hash(definition)
    )


def sequence_of(definition: dict[str, Any]) -> Sequence:
    """Return the steps of a stored version's definition (checked when it was stored)."""
    return build_sequence(SequenceIn.model_validate(definition))


def content_hash(definition: dict[str, Any]) -> str:
    """Return the SHA-256 of a definition's canonical JSON: equal content, equal hash."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_sequence_text(path: Path) -> str:
    """Read a sequence file's text, refusing what is not a small UTF-8 file."""
    if not path.is_file():
        raise InvalidSequence(str(path), ["not a file"])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidSequence(str(path), [f"larger than {MAX_FILE_BYTES // 1024} KiB"])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSequence(str(path), ["not UTF-8 text"]) from exc
