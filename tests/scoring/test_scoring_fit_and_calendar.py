"""Inner folds that never look ahead, out-of-fold calibration, and day of year from day + month."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring.csv_import import DAY_OF_YEAR, TrainingTable, build_training_table
from scoring.feature_spec import FeatureSpec, encode_frame, encode_row, month_number
from scoring.training import TrainingConfig, fit_model, inner_folds


def test_inner_folds_cover_every_row_once_when_stratified() -> None:
    y = np.array([0, 1] * 50)
    folds = inner_folds(y, None, 4, seed=0)
    validated = np.sort(np.concatenate([valid for _, valid in folds]))
    np.testing.assert_array_equal(validated, np.arange(100))
    assert all(y[valid].sum() in (12, 13) for _, valid in folds)


def test_inner_folds_by_time_validate_only_later_rows() -> None:
    times = np.arange(100)[::-1].astype("datetime64[D]")
    folds = inner_folds(np.zeros(100), times, 4, seed=0)
    assert len(folds) == 4
    for fit, valid in folds:
        assert times[fit].max() < times[valid].min()
    validated = np.concatenate([valid for _, valid in folds])
    assert len(np.unique(validated)) == 80


def test_fit_model_refits_on_all_rows_and_calibrates(table: TrainingTable) -> None:
    config = TrainingConfig(max_rounds=400, early_stopping_rounds=30)
    x = encode_frame(table.spec, table.features)
    y = table.target.astype(np.int8)
    fitted = fit_model(x, y, np.arange(len(y)), table.spec, config)
    p = fitted.calibrator.apply(fitted.raw_margin(x))
    assert 1 < fitted.rounds <= 400
    assert abs(float(p.mean()) - float(y.mean())) < 0.03


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("may", 5),
        ("SEPT", 9),
        ("Dec.", 12),
        ("February", 2),
        ("7", 7),
        ("13", None),
        ("junk", None),
    ],
)
def test_month_number(text: str, number: int | None) -> None:
    got = month_number(text)
    assert (math.isnan(got) and number is None) or got == number


def calendar_frame(rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    months = rng.choice(["jan", "feb", "mar", "dec"], rows)
    return pd.DataFrame(
        {
            "day": rng.integers(1, 29, rows),
            "month": months,
            "campaign": rng.integers(1, 60, rows),
            "y": rng.choice(["yes", "no"], rows),
        }
    )


def test_day_and_month_columns_give_day_of_year() -> None:
    table = build_training_table(calendar_frame(), target="y")
    spec = table.spec
    assert spec.columns[-2:] == (DAY_OF_YEAR, "missing fields")
    row = encode_row(spec, {"day": 2, "month": "feb", "campaign": 3})
    assert row[spec.columns.index(DAY_OF_YEAR)] == 33
    assert math.isnan(encode_row(spec, {"day": 2})[spec.columns.index(DAY_OF_YEAR)])
    matrix = encode_frame(spec, table.features)
    for i in (0, 7, 99):
        np.testing.assert_array_equal(encode_row(spec, table.features.iloc[i].to_dict()), matrix[i])
    assert FeatureSpec.from_json(spec.to_json()) == spec


def test_no_day_of_year_without_a_clear_pair() -> None:
    frame = calendar_frame().rename(columns={"day": "visits"})
    assert not build_training_table(frame, target="y").spec.days_of_year
    big_days = calendar_frame().assign(day=lambda f: f["day"] + 40)
    assert not build_training_table(big_days, target="y").spec.days_of_year
