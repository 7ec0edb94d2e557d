"""Online and batch scoring: calibrated probability, band and plain-word reasons.

Reasons come from LightGBM `pred_contrib` (per-feature contributions to the raw log-odds).
Points are `round(POINTS_PER_LOG_ODDS × contribution)`: 10 points = one unit of log-odds,
i.e. the odds of buying multiplied by e ≈ 2.7. Points add up along the log-odds scale, not the
probability scale, so they are comparable across leads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from scoring.artifacts import LoadedModel
from scoring.errors import InvalidScoringInput
from scoring.feature_spec import encode_frame, encode_row
from scoring.features import FEATURE_NAMES
from scoring.reason_words import DERIVED_PHRASES, PHRASES, Phrase
from scoring.registry import ModelRegistry
from scoring.training import predict_margin

POINTS_PER_LOG_ODDS = 10.0
REASONS_PER_SIDE = 3
Band = Literal["hot", "warm", "cold"]


@dataclass(frozen=True)
class Bands:
    """Probability thresholds: hot at or above `hot`, warm at or above `warm`, else cold."""

    hot: float = 0.5
    warm: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.warm <= self.hot <= 1.0:
            raise InvalidScoringInput(
                f"band thresholds must satisfy 0 ≤ warm ≤ hot ≤ 1; got warm={self.warm}, "
                f"hot={self.hot}"
            )

    def band(self, probability: float) -> Band:
        """Return the band of a probability."""
        if probability >= self.hot:
            return "hot"
        return "warm" if probability >= self.warm else "cold"


@dataclass(frozen=True)
class Reason:
    """One feature's push on a score, in words and points."""

    feature: str
    value: str
    points: int
    contribution: float
    text: str


@dataclass(frozen=True)
class Score:
    """A lead's calibrated probability, band, model version and top reasons."""

    probability: float
    band: Band
    model_version: str
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class BatchScores:
    """Many leads' calibrated probabilities and bands, as arrays in the input's row order."""

    probabilities: np.ndarray
    bands: np.ndarray
    model_version: str


class Scorer:
    """Scores leads with one loaded model version; build once per process."""

    def __init__(self, model: LoadedModel, *, bands: Bands | None = None, threads: int = 1) -> None:
        self.model = model
        self.bands = bands or Bands()
        # One thread per process for online scoring; batch jobs may pass more.
        self.threads = threads
        self._booster = model.booster
        self._columns = model.spec.columns
        self._levels = model.spec.categories
        # Models of the lead store speak plain words; a CSV model's columns keep their names.
        store_model = set(model.spec.names) <= set(FEATURE_NAMES)
        self._phrases: Mapping[str, Phrase] = {**PHRASES, **DERIVED_PHRASES} if store_model else {}

    @classmethod
    def from_registry(
        cls,
        registry: ModelRegistry,
        version: str | None = None,
        *,
        bands: Bands | None = None,
        threads: int = 1,
    ) -> Scorer:
        """Load a version (default: the current one) and build its scorer."""
        model = registry.load(version) if version else registry.load_current()
        return cls(model, bands=bands, threads=threads)

    def missing_columns(self, columns: Sequence[str]) -> list[str]:
        """Return the model's input columns absent from `columns`; refuse when all are absent."""
        absent = [name for name in self.model.spec.names if name not in set(columns)]
        if len(absent) == len(self.model.spec.names):
            raise InvalidScoringInput(
                f"none of the model's columns are present; it expects: "
                f"{', '.join(self.model.spec.names)}"
            )
        return absent

    def score_row(self, values: Mapping[str, object], *, reasons: bool = True) -> Score:
        """Score one lead given as column → raw value; unseen categories count as missing."""
        row = encode_row(self.model.spec, values)[np.newaxis, :]
        if not reasons:
            return self._score(
                float(predict_margin(self._booster, row, threads=self.threads)[0]), ()
            )
        # Contributions (bias included) sum to the raw log-odds: one booster call gives both.
        contrib = self.contributions(row)[0]
        margin = float(contrib.sum())
        return self._score(margin, self._row_reasons(row[0], contrib[:-1]))

    def score_batch(self, frame: pd.DataFrame, *, reasons: bool = True) -> list[Score]:
        """Score a frame of raw columns in one vectorised booster call (plus one for reasons)."""
        return self.score_matrix(encode_frame(self.model.spec, frame), reasons=reasons)

    def score_matrix(self, x: np.ndarray, *, reasons: bool = True) -> list[Score]:
        """Score an encoded matrix (columns as the model's spec) in one booster call."""
        found: list[tuple[Reason, ...]]
        if reasons:
            contrib = self.contributions(x)
            margins = contrib.sum(axis=1)
            found = [self._row_reasons(x[i], contrib[i, :-1]) for i in range(len(x))]
        else:
            margins = predict_margin(self._booster, x, threads=self.threads)
            found = [()] * len(x)
        probs = self.model.calibrator.apply(margins)
        version, band = self.model.version, self.bands.band
        return [
            Score(float(p), band(float(p)), version, r) for p, r in zip(probs, found, strict=True)
        ]

    def score_many(self, x: np.ndarray) -> BatchScores:
        """Score an encoded matrix without reasons: arrays, no per-row objects (batch jobs)."""
        margins = predict_margin(self._booster, x, threads=self.threads)
        probs = self.model.calibrator.apply(margins)
        hot, warm = self.bands.hot, self.bands.warm
        bands = np.where(probs >= hot, "hot", np.where(probs >= warm, "warm", "cold"))
        return BatchScores(probs, bands, self.model.version)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode a frame of raw columns as the model's input matrix."""
        return encode_frame(self.model.spec, frame)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Return per-feature log-odds contributions with the bias as the last column."""
        return np.asarray(
            self._booster.predict(x, pred_contrib=True, num_threads=self.threads), dtype=np.float64
        )

    def _score(self, margin: float, reasons: tuple[Reason, ...]) -> Score:
        p = float(self.model.calibrator.apply(np.array([margin]))[0])
        return Score(p, self.bands.band(p), self.model.version, reasons)

    def _row_reasons(self, row: np.ndarray, contrib: np.ndarray) -> tuple[Reason, ...]:
        order = np.argsort(-contrib, kind="stable")
        ups = [int(i) for i in order[:REASONS_PER_SIDE] if contrib[i] > 0]
        downs = [int(i) for i in order[::-1][:REASONS_PER_SIDE] if contrib[i] < 0]
        out = []
        for i in ups + downs:
            points = round(POINTS_PER_LOG_ODDS * float(contrib[i]))
            if points == 0:
                continue
            value = self._value_text(i, float(row[i]))
            name = self._columns[i]
            phrase = self._phrases.get(name)
            said = phrase(self._raw_value(i, float(row[i]))) if phrase else f"{name} {value}"
            text = f"{said}: {'+' if points > 0 else '−'}{abs(points)} pts"
            out.append(Reason(name, value, points, float(contrib[i]), text))
        return tuple(out)

    def _raw_value(self, index: int, value: float) -> float | str | None:
        if math.isnan(value):
            return None
        if index < len(self._levels) and self._levels[index]:
            return self._levels[index][int(value)]
        return value

    def _value_text(self, index: int, value: float) -> str:
        if math.isnan(value):
            return "is missing"
        if index < len(self._levels) and self._levels[index]:
            return f"= {self._levels[index][int(value)]}"
        return f"= {format_number(value)}"


def format_number(value: float) -> str:
    """Return a number as people read it: 1,532 or 2.5."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def reason_texts(reasons: Sequence[Reason]) -> str:
    """Return reasons joined for one CSV cell."""
    return "; ".join(r.text for r in reasons)
