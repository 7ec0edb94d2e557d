"""Training: calibrated, better than the baseline on a nonlinear signal, honest splits."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from scoring.csv_import import TrainingTable
from scoring.errors import InvalidTrainingData
from scoring.training import TrainedModel, TrainingConfig, cross_validate, train


def test_probabilities_are_calibrated(trained: TrainedModel) -> None:
    assert trained.metrics.ece < 0.06
    assert trained.metrics.brier < 0.2
    assert trained.fitted.calibrator.method in {"sigmoid", "isotonic"}
    assert np.all((trained.holdout_probabilities > 0) & (trained.holdout_probabilities < 1))


def test_beats_logistic_baseline_on_nonlinear_signal(trained: TrainedModel) -> None:
    assert trained.metrics.roc_auc > trained.baseline.roc_auc + 0.01
    assert trained.metrics.roc_auc > 0.75


def test_holdout_is_a_fifth_and_reproducible(
    trained: TrainedModel, table: TrainingTable, fast: TrainingConfig
) -> None:
    assert trained.metrics.rows == 400
    assert train(table, fast).holdout_id == trained.holdout_id
    assert trained.importance[0][1] >= trained.importance[-1][1]


def test_time_ordered_split_holds_out_the_latest_rows(
    leads: pd.DataFrame, to_table: Callable[..., TrainingTable], fast: TrainingConfig
) -> None:
    table = to_table(leads, time_col="Created")
    model = train(table, fast)
    assert model.split["kind"] == "time-ordered by Created"
    latest = table.features.iloc[-400:].reset_index(drop=True)
    pd.testing.assert_frame_equal(model.holdout, latest)


def test_cross_validate_reports_model_and_baseline(
    table: TrainingTable, fast: TrainingConfig
) -> None:
    cv = cross_validate(table, folds=3, config=fast)
    assert len(cv.fold_roc_auc) == 3
    assert cv.roc_auc > cv.baseline_roc_auc
    assert 0 < cv.brier < 0.25


def test_refuses_too_few_rows(
    lead_factory: Callable[..., pd.DataFrame], to_table: Callable[..., TrainingTable]
) -> None:
    table = to_table(lead_factory(60))
    with pytest.raises(InvalidTrainingData, match="at least 100 rows"):
        train(table)
