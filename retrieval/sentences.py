"""The sentences an answer may quote from a chunk, and their vectors packed for the payload.

Ingestion splits each chunk into quotable sentences and embeds them once, so the extractive
answerer ranks sentences with a dot product instead of running the embedder at question time.
Vectors travel in the chunk's payload as int8 with one float32 scale per sentence (base64):
about 0.4 KB a sentence instead of 1.5 KB of float32, and a cosine error near 0.005.
"""

from __future__ import annotations

import base64
import re

import numpy as np

from retrieval.embedder import FloatMatrix

MIN_WORDS = 4  # words, not table pipes
MAX_SENTENCE_CHARS = 400
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[`*])")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|`|^#+\s*|^\s*[-*+]\s+|^\s*\d+\.\s+)", re.MULTILINE)
_WORD = re.compile(r"[a-z0-9]+")
_SCALE = np.dtype("<f4")


def clean(text: str) -> str:
    """Return passage text without Markdown links, emphasis, heading and list markers."""
    return _MARKUP.sub("", _LINK.sub(r"\1", text)).strip()


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences and lines (list items and table rows stay whole)."""
    out: list[str] = []
    for line in text.splitlines():
        line = clean(line)
        if not line or (line.startswith("|") and set(line) <= set("|-: ")):
            continue
        out += [s.strip() for s in _SPLIT.split(line) if s.strip()]
    return out


def quotable_sentences(text: str) -> list[str]:
    """Return the passage's sentences long enough to answer with and short enough to quote."""
    return [
        s
        for s in split_sentences(text)
        if len(_WORD.findall(s.lower())) >= MIN_WORDS and len(s) <= MAX_SENTENCE_CHARS
    ]


def pack_vectors(matrix: FloatMatrix) -> str:
    """Pack unit row vectors as base64 text: per-row float32 scales, then int8 components."""
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.size == 0:
        return ""
    scales = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0
    quantized = np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8)
    return base64.b64encode(scales.astype(_SCALE).tobytes() + quantized.tobytes()).decode("ascii")


def unpack_vectors(data: str, *, rows: int, dimension: int) -> FloatMatrix | None:
    """Return packed vectors as a float32 matrix, or None if the text does not hold that shape."""
    if not data or rows <= 0:
        return None
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) != rows * (4 + dimension):
        return None
    scales = np.frombuffer(raw[: rows * 4], dtype=_SCALE).astype(np.float32)
    quantized = np.frombuffer(raw[rows * 4 :], dtype=np.int8).reshape(rows, dimension)
    result: FloatMatrix = quantized.astype(np.float32) * scales[:, None]
    return result
