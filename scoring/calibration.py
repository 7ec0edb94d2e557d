"""Calibrators that map the booster's raw log-odds to probabilities: Platt (sigmoid) or isotonic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

Method = Literal["sigmoid", "isotonic"]


@dataclass(frozen=True)
class Calibrator:
    """A fitted calibrator, stored as plain numbers (Platt a, b or isotonic thresholds)."""

    method: Method
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def apply(self, margin: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities for raw log-odds."""
        if self.method == "sigmoid":
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * margin + self.b))), dtype=np.float64)
        return np.asarray(np.interp(margin, self.x, self.y), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """Return the calibrator as a JSON-ready dict."""
        if self.method == "sigmoid":
            return {"method": "sigmoid", "a": self.a, "b": self.b}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        """Build a calibrator from `to_json` output."""
        if data["method"] == "sigmoid":
            return cls("sigmoid", a=float(data["a"]), b=float(data["b"]))
        return cls("isotonic", x=tuple(data["x"]), y=tuple(data["y"]))


def fit_sigmoid(margin: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit Platt scaling on raw log-odds."""
    model = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
    return Calibrator("sigmoid", a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))


def fit_isotonic(margin: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit isotonic regression on raw log-odds (probabilities kept off 0 and 1)."""
    model = IsotonicRegression(y_min=1e-4, y_max=1 - 1e-4, out_of_bounds="clip").fit(margin, y)
    xs = tuple(float(v) for v in model.X_thresholds_)
    ys = tuple(float(v) for v in model.y_thresholds_)
    return Calibrator("isotonic", x=xs, y=ys)


def fit_calibrator(margin: np.ndarray, y: np.ndarray, *, seed: int = 0) -> Calibrator:
    """Choose sigmoid or isotonic by 2-fold log loss on the calibration rows, then refit on all."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    halves = (order[: len(y) // 2], order[len(y) // 2 :])
    losses: dict[Method, float] = {"sigmoid": 0.0, "isotonic": 0.0}
    fitters: dict[Method, Callable[[np.ndarray, np.ndarray], Calibrator]] = {
        "sigmoid": fit_sigmoid,
        "isotonic": fit_isotonic,
    }
    for fit_rows, test_rows in (halves, halves[::-1]):
        if len(np.unique(y[fit_rows])) < 2:
            return fit_sigmoid(margin, y) if len(np.unique(y)) == 2 else Calibrator("sigmoid")
        for method, fitter in fitters.items():
            p = fitter(margin[fit_rows], y[fit_rows]).apply(margin[test_rows])
            losses[method] += log_loss(y[test_rows], np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])
    best: Method = "isotonic" if losses["isotonic"] < losses["sigmoid"] else "sigmoid"
    return fitters[best](margin, y)
