"""Holdout metrics of a probability model: discrimination, calibration and lift."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


@dataclass(frozen=True)
class Metrics:
    """How good probabilities are on one holdout."""

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    ece: float
    lift_top_decile: float
    rows: int
    positives: int

    def to_dict(self) -> dict[str, float | int]:
        """Return the metrics as a JSON-ready dict."""
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def beats(self, other: Metrics) -> bool:
        """Return True when this model ranks better (higher AUC; lower Brier on a tie)."""
        if abs(self.roc_auc - other.roc_auc) > 1e-9:
            return self.roc_auc > other.roc_auc
        return self.brier < other.brier


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Return the ECE: bin-size-weighted |mean prediction − positive rate| over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(float(p[mask].mean()) - float(y[mask].mean()))
    return float(total / len(y))


def top_decile_lift(y: np.ndarray, p: np.ndarray) -> float:
    """Return the positive rate in the top 10% by score divided by the overall positive rate."""
    k = max(1, int(np.ceil(len(y) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    base = float(np.mean(y))
    return float(np.mean(y[top])) / base if base > 0 else 0.0


def evaluate(y: np.ndarray, p: np.ndarray) -> Metrics:
    """Return all metrics of probabilities `p` against 0/1 labels `y`."""
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return Metrics(
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        log_loss=float(log_loss(y, clipped, labels=[0, 1])),
        ece=expected_calibration_error(y, p),
        lift_top_decile=top_decile_lift(y, p),
        rows=len(y),
        positives=int(np.sum(y)),
    )
