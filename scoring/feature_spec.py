"""The feature spec: which columns a model reads, how, and the code that turns rows into numbers.

The same functions encode training frames and online rows, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

SPEC_VERSION = 1
FeatureKind = Literal["numeric", "categorical"]
# Values that web forms and CRMs write for "not answered".
PLACEHOLDERS = frozenset({"", "select", "-", "--", "?", "n/a", "na", "nan", "null", "none"})
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_WORDS = {
    word: number for number, month in enumerate(MONTHS, start=1) for word in (month, month[:3])
} | {"sept": 9}
_DAYS_BEFORE_MONTH = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=float)


@dataclass(frozen=True)
class Ratio:
    """A derived feature: numerator / denominator of two numeric columns (missing when 0)."""

    name: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class DayOfYear:
    """A derived feature: day of the year (1-365; 29 February reads as 1 March) from two columns."""

    name: str
    day: str
    month: str


@dataclass(frozen=True)
class FeatureSpec:
    """Names, kinds and category levels of a model's inputs; versioned with the model."""

    names: tuple[str, ...]
    kinds: tuple[FeatureKind, ...]
    categories: tuple[tuple[str, ...], ...]
    ratios: tuple[Ratio, ...] = ()
    days_of_year: tuple[DayOfYear, ...] = ()
    missing_count: bool = True
    version: int = SPEC_VERSION
    _codes: tuple[dict[str, int], ...] = field(default=(), compare=False, repr=False)
    _month_starts: tuple[np.ndarray, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        codes = tuple({level: i for i, level in enumerate(levels)} for levels in self.categories)
        object.__setattr__(self, "_codes", codes)
        # A missing month code (NaN) reads the NaN appended last.
        starts = tuple(
            month_start(
                np.array(
                    [month_number(v) for v in self.categories[self.names.index(d.month)]]
                    + [math.nan]
                )
            )
            for d in self.days_of_year
        )
        object.__setattr__(self, "_month_starts", starts)

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the model's columns: raw features, derived ones, then the missing count."""
        extra = tuple(r.name for r in self.ratios) + tuple(d.name for d in self.days_of_year)
        return self.names + extra + (("missing fields",) if self.missing_count else ())

    @property
    def categorical_indices(self) -> list[int]:
        """Return the positions of categorical columns in the encoded matrix."""
        return [i for i, kind in enumerate(self.kinds) if kind == "categorical"]

    def code_maps(self) -> tuple[dict[str, int], ...]:
        """Return, per raw feature, the level → integer code map (empty for numerics)."""
        return self._codes

    def month_starts(self) -> tuple[np.ndarray, ...]:
        """Return, per day-of-year feature, days before the month by month code (NaN last)."""
        return self._month_starts

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the spec."""
        return {
            "version": self.version,
            "features": [
                {"name": n, "kind": k, "categories": list(c)}
                for n, k, c in zip(self.names, self.kinds, self.categories, strict=True)
            ],
            "ratios": [vars(r) for r in self.ratios],
            "days_of_year": [vars(d) for d in self.days_of_year],
            "missing_count": self.missing_count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Build a spec from `to_json` output."""
        feats = data["features"]
        return cls(
            names=tuple(f["name"] for f in feats),
            kinds=tuple(f["kind"] for f in feats),
            categories=tuple(tuple(f["categories"]) for f in feats),
            ratios=tuple(Ratio(**r) for r in data.get("ratios", [])),
            days_of_year=tuple(DayOfYear(**d) for d in data.get("days_of_year", [])),
            missing_count=bool(data.get("missing_count", True)),
            version=int(data.get("version", SPEC_VERSION)),
        )

    def dumps(self) -> str:
        """Return the spec as JSON text."""
        return json.dumps(self.to_json(), indent=2)


def clean_text(value: object) -> str | None:
    """Return a trimmed string, or None for missing values and placeholders like "Select"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in PLACEHOLDERS else text


def to_number(value: object) -> float:
    """Return a float for a numeric cell; NaN when missing or unparseable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = clean_text(value)
    if text is None:
        return math.nan
    try:
        return float(text.replace(",", "")) if _is_grouped(text) else float(text)
    except ValueError:
        return math.nan


def _is_grouped(text: str) -> bool:
    return "," in text and text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()


def encode_row(spec: FeatureSpec, values: Mapping[str, object]) -> np.ndarray:
    """Encode one lead (column → raw value) as the model's float row; unseen levels are NaN."""
    raw = np.empty(len(spec.names), dtype=np.float64)
    maps = spec.code_maps()
    for i, (name, kind) in enumerate(zip(spec.names, spec.kinds, strict=True)):
        value = values.get(name)
        if kind == "numeric":
            raw[i] = to_number(value)
        else:
            text = clean_text(value)
            code = maps[i].get(text) if text is not None else None
            raw[i] = math.nan if code is None else float(code)
    row: np.ndarray = _with_derived(spec, raw[np.newaxis, :])[0]
    return row


def encode_frame(spec: FeatureSpec, frame: pd.DataFrame) -> np.ndarray:
    """Encode a frame of raw columns as the model's float matrix (vectorised)."""
    raw = np.full((len(frame), len(spec.names)), np.nan, dtype=np.float64)
    maps = spec.code_maps()
    for i, (name, kind) in enumerate(zip(spec.names, spec.kinds, strict=True)):
        if name not in frame.columns:
            continue
        column = frame[name]
        if kind == "numeric":
            raw[:, i] = numeric_column(column)
        else:
            cleaned = text_column(column)
            raw[:, i] = cleaned.map(maps[i]).astype("float64").to_numpy()
    return _with_derived(spec, raw)


def numeric_column(column: pd.Series) -> np.ndarray:
    """Return a column as floats, placeholders and unparseable cells as NaN."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values: np.ndarray = column.astype("float64").to_numpy()
        return values
    text = text_column(column)
    parsed = pd.to_numeric(text, errors="coerce").astype("float64")
    # Only cells like "1,532" need the slow path.
    retry = parsed.isna() & text.notna()
    parsed[retry] = [to_number(v) for v in text[retry]]
    values = parsed.to_numpy()
    return values


def text_column(column: pd.Series) -> pd.Series:
    """Return a column as trimmed strings, placeholders as missing."""
    text = column.astype(str).str.strip().astype(object)
    missing = column.isna().to_numpy() | text.str.lower().isin(PLACEHOLDERS).to_numpy()
    text[missing] = None
    return text


def month_number(value: object) -> float:
    """Return 1-12 for a month name, its abbreviation or its number; NaN for anything else."""
    text = clean_text(value)
    if text is None:
        return math.nan
    named = _MONTH_WORDS.get(text.lower().rstrip("."))
    if named is not None:
        return float(named)
    number = to_number(text)
    return number if number in range(1, 13) else math.nan


def month_start(month: np.ndarray) -> np.ndarray:
    """Return the days of the year before each month number (NaN where not a month 1-12)."""
    valid = (month >= 1) & (month <= 12) & (month == np.floor(month))
    before = _DAYS_BEFORE_MONTH[np.where(valid, month - 1, 0).astype(np.int64)]
    return np.where(valid, before, np.nan)


def _day_of_year(spec: FeatureSpec, raw: np.ndarray, which: int) -> np.ndarray:
    derived = spec.days_of_year[which]
    day = raw[:, spec.names.index(derived.day)]
    month_col = spec.names.index(derived.month)
    month = raw[:, month_col]
    if spec.kinds[month_col] == "categorical":
        starts = spec.month_starts()[which]
        start = starts[np.where(np.isnan(month), len(starts) - 1, month).astype(np.int64)]
    else:
        start = month_start(month)
    # Days outside 1-31 (or fractional) make the sum NaN rather than a wrong day of year.
    return start + np.where((day >= 1) & (day <= 31) & (day == np.floor(day)), day, np.nan)


def _with_derived(spec: FeatureSpec, raw: np.ndarray) -> np.ndarray:
    parts = [raw]
    index = {name: i for i, name in enumerate(spec.names)}
    for ratio in spec.ratios:
        num, den = raw[:, index[ratio.numerator]], raw[:, index[ratio.denominator]]
        with np.errstate(divide="ignore", invalid="ignore"):
            parts.append(np.where(den > 0, num / den, np.nan)[:, np.newaxis])
    for which in range(len(spec.days_of_year)):
        parts.append(_day_of_year(spec, raw, which)[:, np.newaxis])
    if spec.missing_count:
        parts.append(np.isnan(raw).sum(axis=1, dtype=np.float64)[:, np.newaxis])
    return np.hstack(parts) if len(parts) > 1 else raw
