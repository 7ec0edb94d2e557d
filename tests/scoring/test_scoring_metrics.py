"""Metrics and calibrators on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.calibration import Calibrator, fit_calibrator
from scoring.metrics import evaluate, expected_calibration_error, top_decile_lift


def test_top_decile_lift_by_hand() -> None:
    # 20 leads, 4 buyers (20%); the top 2 by score are both buyers → 100% / 20% = 5.
    y = np.array([1, 1] + [0] * 16 + [1, 1])
    p = np.linspace(1.0, 0.0, 20)
    assert top_decile_lift(y, p) == pytest.approx(5.0)


def test_ece_by_hand() -> None:
    # Bin 0.1–0.2 holds p=0.15 twice with one buyer (|0.15−0.5|=0.35);
    # bin 0.8–0.9 holds p=0.85 twice with two buyers (|0.85−1|=0.15). Mean over 4 rows: 0.25.
    y = np.array([0, 1, 1, 1])
    p = np.array([0.15, 0.15, 0.85, 0.85])
    assert expected_calibration_error(y, p) == pytest.approx(0.25)


def test_ece_zero_when_calibrated() -> None:
    y = np.array([0, 1] * 50)
    assert expected_calibration_error(y, np.full(100, 0.5)) == pytest.approx(0.0)


def test_evaluate_perfect_ranking() -> None:
    y = np.array([0, 0, 1, 1])
    metrics = evaluate(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert metrics.roc_auc == 1.0
    assert metrics.pr_auc == 1.0
    assert metrics.brier == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert metrics.rows == 4
    assert metrics.positives == 2


def test_beats_uses_auc_then_brier() -> None:
    y = np.array([0, 0, 1, 1])
    good = evaluate(y, np.array([0.1, 0.2, 0.8, 0.9]))
    sharper = evaluate(y, np.array([0.01, 0.02, 0.98, 0.99]))
    worse = evaluate(y, np.array([0.1, 0.9, 0.8, 0.2]))
    assert good.beats(worse)
    assert not worse.beats(good)
    assert sharper.beats(good)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrator_json_round_trip(method: str) -> None:
    rng = np.random.default_rng(0)
    margin = rng.normal(size=400)
    y = (rng.random(400) < 1 / (1 + np.exp(-2 * margin))).astype(int)
    fitted = fit_calibrator(margin, y)
    calibrator = fitted if fitted.method == method else Calibrator("sigmoid", a=2.0, b=0.1)
    again = Calibrator.from_json(calibrator.to_json())
    np.testing.assert_allclose(again.apply(margin), calibrator.apply(margin))
    assert np.all((again.apply(margin) > 0) & (again.apply(margin) < 1))
