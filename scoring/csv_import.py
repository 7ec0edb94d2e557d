"""Read any lead export CSV into a `TrainingTable`: target, inferred feature spec, time window."""

from __future__ import annotations

import csv
import difflib
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.errors import InvalidTrainingData
from scoring.feature_spec import (
    DayOfYear,
    FeatureKind,
    FeatureSpec,
    Ratio,
    month_number,
    numeric_column,
    text_column,
)

DELIMITERS = ",;\t|"
MAX_LEVELS = 200
_ID_NAME = re.compile(r"(^|[\s_\-])(id|uuid|guid)$|^(lead|prospect|customer|contact) (number|no)$")
_DAY_NAME = re.compile(r"(^|[\s_\-])day([\s_\-]?of[\s_\-]?(the[\s_\-]?)?month)?$")
_MONTH_NAME = re.compile(r"(^|[\s_\-])month$")
DAY_OF_YEAR = "day of year"
_POSITIVE = {"1", "1.0", "yes", "y", "true", "t"}
_NEGATIVE = {"0", "0.0", "no", "n", "false", "f"}


@dataclass(frozen=True)
class TrainingTable:
    """A cleaned lead table: raw feature columns, a 0/1 target, the spec and the time column."""

    features: pd.DataFrame
    target: np.ndarray
    spec: FeatureSpec
    target_name: str
    dropped: tuple[tuple[str, str], ...]
    times: np.ndarray | None = None
    time_col: str | None = None

    @property
    def rows(self) -> int:
        """Return the number of rows."""
        return len(self.target)

    def data_window(self) -> dict[str, object]:
        """Return what the table covers: rows, positive rate, first and last time."""
        window: dict[str, object] = {
            "rows": self.rows,
            "positives": int(self.target.sum()),
            "positive_rate": round(float(self.target.mean()), 4),
        }
        if self.times is not None and self.time_col is not None:
            window["time_col"] = self.time_col
            window["first"] = str(pd.Timestamp(self.times.min()))
            window["last"] = str(pd.Timestamp(self.times.max()))
        return window


def sniff_delimiter(sample: str) -> str:
    """Return the delimiter of a CSV sample (comma when nothing else is clearly used)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] > 0 else ","


def read_lead_csv(path: Path, *, delimiter: str | None = None) -> pd.DataFrame:
    """Read a lead export; sniff the delimiter unless given, refuse a one-column misread."""
    if not path.is_file():
        raise InvalidTrainingData(f"no such CSV file: {path}")
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(65536)
    if not sample.strip():
        raise InvalidTrainingData(f"{path} is empty")
    sep = delimiter or sniff_delimiter(sample)
    try:
        frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig", low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidTrainingData(
            f"cannot parse {path} as CSV with delimiter {sep!r}: {exc}"
        ) from exc
    if frame.shape[1] == 1:
        raise InvalidTrainingData(_one_column_message(path, str(frame.columns[0]), sep))
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _one_column_message(path: Path, header: str, sep: str) -> str:
    likely = [d for d in DELIMITERS if d != sep and header.count(d) > 0]
    hint = (
        f"; it looks {_name(likely[0])}-delimited: pass --delimiter {likely[0]!r}" if likely else ""
    )
    return f"{path} was read as a single column with delimiter {sep!r}{hint}"


def _name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]


def binary_target(frame: pd.DataFrame, target: str) -> np.ndarray:
    """Return the target column as 0/1, mapping yes/no and true/false; refuse anything else."""
    if target not in frame.columns:
        by_lower = {str(c).lower(): str(c) for c in frame.columns}
        matches = difflib.get_close_matches(target.lower(), list(by_lower), n=3, cutoff=0.5)
        close = [by_lower[m] for m in matches]
        hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
        raise InvalidTrainingData(
            f"target column {target!r} not found; {hint}available: {', '.join(frame.columns)}"
        )
    cleaned = text_column(frame[target]).map(lambda v: None if v is None else v.lower())
    if cleaned.isna().any():
        raise InvalidTrainingData(
            f"target {target!r} is empty in {int(cleaned.isna().sum())} rows; fill or drop them"
        )
    levels = set(cleaned.unique())
    if not levels <= _POSITIVE | _NEGATIVE or len(levels) > 2:
        shown = ", ".join(sorted(map(str, levels))[:8])
        raise InvalidTrainingData(
            f"target {target!r} must be binary (0/1, yes/no, true/false); found: {shown}"
        )
    labels: np.ndarray = cleaned.isin(_POSITIVE).to_numpy(dtype=np.int8)
    if labels.min() == labels.max():
        only = "positive" if labels[0] else "negative"
        raise InvalidTrainingData(
            f"target {target!r} has one class (every row is {only}); a model needs both outcomes"
        )
    return labels


def excluded(columns: Sequence[str], patterns: Sequence[str]) -> set[str]:
    """Return the columns matched by exclude names or glob patterns (case-insensitive)."""
    lowered = [p.strip().lower() for p in patterns if p.strip()]
    return {c for c in columns if any(fnmatch.fnmatchcase(c.lower(), p) for p in lowered)}


def drop_reason(column: pd.Series) -> str | None:
    """Return why a column is no use as a feature (id-like, constant, empty), or None."""
    name = str(column.name).strip().lower()
    values = column.dropna()
    if _ID_NAME.search(name):
        return "id-like name"
    if values.empty:
        return "empty"
    text = text_column(values).dropna()
    if text.nunique() <= 1:
        return "constant"
    is_float = pd.api.types.is_float_dtype(values)
    if len(column) >= 20 and not is_float and values.nunique() == len(column):
        return "unique per row (id-like)"
    return None


def infer_kind(column: pd.Series) -> FeatureKind:
    """Return numeric when every non-placeholder value parses as a number, else categorical."""
    if pd.api.types.is_bool_dtype(column):
        return "categorical"
    if pd.api.types.is_numeric_dtype(column):
        return "numeric"
    text = text_column(column).dropna()
    parsed = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    return "numeric" if len(text) and parsed.notna().all() else "categorical"


def levels_of(column: pd.Series) -> tuple[str, ...]:
    """Return a categorical column's levels, most frequent first, capped at MAX_LEVELS."""
    counts = text_column(column).value_counts()
    return tuple(str(v) for v in counts.index[:MAX_LEVELS])


def _time_values(frame: pd.DataFrame, time_col: str) -> np.ndarray:
    if time_col not in frame.columns:
        raise InvalidTrainingData(
            f"time column {time_col!r} not found; available: {', '.join(frame.columns)}"
        )
    parsed = pd.to_datetime(frame[time_col], errors="coerce", utc=True, format="mixed")
    if parsed.isna().mean() > 0.05:
        raise InvalidTrainingData(
            f"time column {time_col!r}: {int(parsed.isna().sum())} values are not dates"
        )
    values: np.ndarray = parsed.fillna(parsed.min()).to_numpy(dtype="datetime64[ns]")
    return values


def build_training_table(
    frame: pd.DataFrame,
    *,
    target: str,
    exclude: Sequence[str] = (),
    time_col: str | None = None,
    ratios: Sequence[tuple[str, str]] = (),
) -> TrainingTable:
    """Clean a lead frame into a training table: drop ids/constants/excluded, infer kinds."""
    labels = binary_target(frame, target)
    times = _time_values(frame, time_col) if time_col else None
    skip = excluded(list(frame.columns), exclude)
    dropped = [(c, "excluded") for c in frame.columns if c in skip]
    names: list[str] = []
    kinds: list[FeatureKind] = []
    for name in frame.columns:
        if name in (target, time_col) or name in skip:
            continue
        reason = drop_reason(frame[name])
        if reason:
            dropped.append((name, reason))
            continue
        names.append(name)
        kinds.append(infer_kind(frame[name]))
    if not names:
        raise InvalidTrainingData("no usable feature columns left after dropping ids/constants")
    spec = FeatureSpec(
        names=tuple(names),
        kinds=tuple(kinds),
        categories=tuple(
            levels_of(frame[n]) if k == "categorical" else ()
            for n, k in zip(names, kinds, strict=True)
        ),
        ratios=_ratios(names, kinds, ratios),
        days_of_year=_days_of_year(frame, names, kinds),
    )
    features = frame[names].reset_index(drop=True)
    return TrainingTable(features, labels, spec, target, tuple(dropped), times, time_col)


def _ratios(
    names: list[str], kinds: list[FeatureKind], pairs: Sequence[tuple[str, str]]
) -> tuple[Ratio, ...]:
    numeric = {n for n, k in zip(names, kinds, strict=True) if k == "numeric"}
    return tuple(Ratio(f"{a} / {b}", a, b) for a, b in pairs if a in numeric and b in numeric)


def _days_of_year(
    frame: pd.DataFrame, names: list[str], kinds: list[FeatureKind]
) -> tuple[DayOfYear, ...]:
    """Pair one day-of-month column with one month column, when exactly one of each is found."""
    days = [
        n for n, k in zip(names, kinds, strict=True) if k == "numeric" and is_day_column(frame[n])
    ]
    months = [n for n, k in zip(names, kinds, strict=True) if is_month_column(frame[n], k)]
    if len(days) != 1 or len(months) != 1 or DAY_OF_YEAR in names:
        return ()
    return (DayOfYear(DAY_OF_YEAR, days[0], months[0]),)


def is_day_column(column: pd.Series) -> bool:
    """Return True for a column named like "day" holding whole numbers 1-31."""
    if not _DAY_NAME.search(str(column.name).strip().lower()):
        return False
    values = numeric_column(column)
    values = values[~np.isnan(values)]
    return bool(len(values)) and bool(np.all(np.isin(values, np.arange(1, 32))))


def is_month_column(column: pd.Series, kind: FeatureKind) -> bool:
    """Return True for month names (jan, February...), or numbers 1-12 in a column named month."""
    if kind == "numeric" and not _MONTH_NAME.search(str(column.name).strip().lower()):
        return False
    levels = text_column(column).dropna().unique()
    return bool(len(levels)) and all(not np.isnan(month_number(v)) for v in levels)


def load_training_table(
    path: Path,
    *,
    target: str,
    exclude: Sequence[str] = (),
    time_col: str | None = None,
    delimiter: str | None = None,
) -> TrainingTable:
    """Read a CSV and build its training table."""
    frame = read_lead_csv(path, delimiter=delimiter)
    return build_training_table(frame, target=target, exclude=exclude, time_col=time_col)
