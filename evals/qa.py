"""QA sets: questions with the source files that answer them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from leads.errors import ClinchError


class InvalidQASet(ClinchError):
    """A QA file that cannot be read."""


@dataclass(frozen=True)
class QARow:
    """One question and what answers it."""

    id: str
    question: str
    gold_answer: str
    source_paths: tuple[str, ...]
    answerable: bool
    kind: str


def load_qa(path: Path) -> list[QARow]:
    """Read a JSONL QA set (id, question, gold_answer, source_paths, answerable, kind)."""
    if not path.exists():
        raise InvalidQASet(f"{path} does not exist")
    rows: list[QARow] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rows.append(
                QARow(
                    id=str(data["id"]),
                    question=str(data["question"]),
                    gold_answer=str(data.get("gold_answer", "")),
                    source_paths=tuple(str(p) for p in data.get("source_paths", [])),
                    answerable=bool(data.get("answerable", True)),
                    kind=str(data.get("kind", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidQASet(f"{path}: line {n}: not a QA row ({exc})") from exc
    if not rows:
        raise InvalidQASet(f"{path} has no rows")
    return rows
