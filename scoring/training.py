"""Train a calibrated LightGBM lead-scoring model on a `TrainingTable`, with a baseline.

`fit_model` uses every training row twice: an inner k-fold run picks the number of rounds and
gives each row an out-of-fold margin to calibrate on, then the booster is refit on all rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from scoring.baseline import baseline_probabilities
from scoring.calibration import Calibrator, fit_calibrator
from scoring.csv_import import TrainingTable
from scoring.errors import InvalidTrainingData
from scoring.feature_spec import FeatureSpec, encode_frame
from scoring.metrics import Metrics, evaluate

MIN_ROWS = 100
MIN_PER_CLASS = 20


@dataclass(frozen=True)
class TrainingConfig:
    """LightGBM settings tuned for small-to-medium tabular lead data, and the split sizes."""

    # 0.05 scored as well as 0.03 on the public corpora, with fewer trees to score through.
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_data_in_leaf: int = 30
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    lambda_l2: float = 5.0
    cat_smooth: float = 20.0
    min_data_per_group: int = 50
    max_rounds: int = 3000
    early_stopping_rounds: int = 100
    # Inner folds that choose the rounds and give out-of-fold margins to calibrate on.
    inner_folds: int = 4
    # The refit sees more rows than any inner fold trained on: allow it a few more rounds.
    refit_round_factor: float = 1.1
    holdout_fraction: float = 0.2
    # One thread: on a busy 2-core host two threads were often slower (OpenMP contention).
    threads: int = 1
    seed: int = 0

    def lightgbm_params(self) -> dict[str, Any]:
        """Return the LightGBM parameter dict."""
        return {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "cat_smooth": self.cat_smooth,
            "cat_l2": 10.0,
            "min_data_per_group": self.min_data_per_group,
            "max_cat_to_onehot": 8,
            "num_threads": self.threads,
            "seed": self.seed,
            "deterministic": True,
            "verbose": -1,
        }


@dataclass(frozen=True)
class FittedModel:
    """A booster (as LightGBM model text) and its calibrator."""

    model_text: str
    calibrator: Calibrator
    rounds: int

    def raw_margin(self, x: np.ndarray) -> np.ndarray:
        """Return the booster's raw log-odds for an encoded matrix."""
        return predict_margin(_booster(self.model_text), x)


@dataclass(frozen=True)
class TrainedModel:
    """Everything a training run produces: model, spec, holdout metrics and report data."""

    fitted: FittedModel
    spec: FeatureSpec
    metrics: Metrics
    baseline: Metrics
    holdout_id: str
    holdout: pd.DataFrame
    holdout_target: np.ndarray
    holdout_probabilities: np.ndarray
    baseline_probabilities: np.ndarray
    importance: tuple[tuple[str, float], ...]
    data_window: dict[str, object]
    split: dict[str, object]
    config: TrainingConfig = field(default_factory=TrainingConfig)

    def params(self) -> dict[str, Any]:
        """Return the training settings as a JSON-ready dict."""
        return {**asdict(self.config), "rounds": self.fitted.rounds}


@dataclass(frozen=True)
class CrossValidation:
    """Mean k-fold metrics of the model and of the baseline."""

    folds: int
    roc_auc: float
    brier: float
    baseline_roc_auc: float
    baseline_brier: float
    fold_roc_auc: tuple[float, ...]


def predict_margin(booster: lgb.Booster, x: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """Return a booster's raw log-odds for an encoded matrix."""
    margin = booster.predict(x, raw_score=True, num_threads=threads)
    return np.asarray(margin, dtype=np.float64)


def _booster(model_text: str) -> lgb.Booster:
    return lgb.Booster(model_str=model_text)


def check_trainable(y: np.ndarray) -> None:
    """Refuse a table too small or too unbalanced to split into train/validation/holdout."""
    positives = int(y.sum())
    if len(y) < MIN_ROWS or min(positives, len(y) - positives) < MIN_PER_CLASS:
        raise InvalidTrainingData(
            f"need at least {MIN_ROWS} rows and {MIN_PER_CLASS} of each outcome; got {len(y)} "
            f"rows with {positives} positive and {len(y) - positives} negative"
        )


def _split(
    rows: np.ndarray, y: np.ndarray, fraction: float, times: np.ndarray | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split rows into (earlier/bigger, later/held-out) parts: by time if given, else stratified."""
    if times is not None:
        ordered = rows[np.argsort(times[rows], kind="stable")]
        cut = round(len(ordered) * (1 - fraction))
        return ordered[:cut], ordered[cut:]
    first, second = train_test_split(rows, test_size=fraction, stratify=y[rows], random_state=seed)
    return np.sort(first), np.sort(second)


def inner_folds(
    y: np.ndarray, times: np.ndarray | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (train, validation) positions: stratified k-fold, or forward-chaining by time.

    By time, the rows are cut into `folds + 1` blocks in time order and each block is validated
    by a model of all earlier blocks, so no model sees the future of the rows it is judged on.
    """
    if times is None:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y))
    blocks = np.array_split(np.argsort(times, kind="stable"), folds + 1)
    return [(np.sort(np.concatenate(blocks[:i])), np.sort(blocks[i])) for i in range(1, folds + 1)]


def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    spec: FeatureSpec,
    config: TrainingConfig,
    times: np.ndarray | None = None,
) -> FittedModel:
    """Pick rounds and calibrate on inner out-of-fold margins, then refit on all the rows."""
    x_fit, y_fit = x[rows], y[rows]
    folds = inner_folds(
        y_fit, None if times is None else times[rows], config.inner_folds, config.seed + 1
    )
    params, cats = config.lightgbm_params(), spec.categorical_indices
    data = lgb.Dataset(x_fit, y_fit, categorical_feature=cats, free_raw_data=False)
    stop = lgb.early_stopping(config.early_stopping_rounds, verbose=False)
    result = lgb.cv(
        params, data, config.max_rounds, folds=folds, callbacks=[stop], return_cvbooster=True
    )
    cv_booster = cast(lgb.CVBooster, result["cvbooster"])
    # No early stop (max_rounds reached) leaves best_iteration at 0.
    best = cv_booster.best_iteration or len(cast(list[float], result["valid binary_logloss-mean"]))
    margin = np.full(len(rows), np.nan)
    for member, (_, valid) in zip(cv_booster.boosters, folds, strict=True):
        margin[valid] = member.predict(x_fit[valid], raw_score=True, num_iteration=best)
    seen = ~np.isnan(margin)
    calibrator = fit_calibrator(margin[seen], y_fit[seen], seed=config.seed)
    rounds = max(1, round(best * config.refit_round_factor))
    booster = lgb.train(params, lgb.Dataset(x_fit, y_fit, categorical_feature=cats), rounds)
    return FittedModel(booster.model_to_string(), calibrator, rounds)


def holdout_identity(frame: pd.DataFrame, y: np.ndarray) -> str:
    """Return a hash of the holdout rows and labels: two models compare only on the same one."""
    digest = hashlib.sha256(frame.to_csv(index=False).encode())
    digest.update(np.asarray(y, dtype=np.int8).tobytes())
    return digest.hexdigest()[:16]


def train(table: TrainingTable, config: TrainingConfig | None = None) -> TrainedModel:
    """Train, calibrate and evaluate a model (and the baseline) on a held-out split."""
    config = config or TrainingConfig()
    y = table.target.astype(np.int8)
    check_trainable(y)
    x = encode_frame(table.spec, table.features)
    fit_rows, hold = _split(np.arange(len(y)), y, config.holdout_fraction, table.times, config.seed)
    fitted = fit_model(x, y, fit_rows, table.spec, config, table.times)
    probs = fitted.calibrator.apply(fitted.raw_margin(x[hold]))
    base = baseline_probabilities(table.spec, x[fit_rows], y[fit_rows], x[hold])
    holdout = table.features.iloc[hold].reset_index(drop=True)
    return TrainedModel(
        fitted=fitted,
        spec=table.spec,
        metrics=evaluate(y[hold], probs),
        baseline=evaluate(y[hold], base),
        holdout_id=holdout_identity(holdout, y[hold]),
        holdout=holdout,
        holdout_target=y[hold],
        holdout_probabilities=probs,
        baseline_probabilities=base,
        importance=_importance(fitted.model_text, table.spec),
        data_window=table.data_window(),
        split=_split_summary(table, len(fit_rows), len(hold)),
        config=config,
    )


def _split_summary(table: TrainingTable, fit_rows: int, holdout_rows: int) -> dict[str, object]:
    kind = f"time-ordered by {table.time_col}" if table.time_col else "stratified random"
    return {"kind": kind, "train_rows": fit_rows, "holdout_rows": holdout_rows}


def _importance(model_text: str, spec: FeatureSpec) -> tuple[tuple[str, float], ...]:
    gains = _booster(model_text).feature_importance(importance_type="gain")
    pairs = sorted(zip(spec.columns, (float(g) for g in gains), strict=True), key=lambda p: -p[1])
    return tuple(pairs)


def cross_validate(
    table: TrainingTable, folds: int = 5, config: TrainingConfig | None = None
) -> CrossValidation:
    """Return mean stratified k-fold ROC AUC and Brier of the model and the baseline."""
    config = config or TrainingConfig()
    y = table.target.astype(np.int8)
    check_trainable(y)
    x = encode_frame(table.spec, table.features)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
    scores: list[tuple[float, float, float, float]] = []
    for train_rows, test_rows in splitter.split(x, y):
        fitted = fit_model(x, y, train_rows, table.spec, config)
        model = evaluate(y[test_rows], fitted.calibrator.apply(fitted.raw_margin(x[test_rows])))
        base_p = baseline_probabilities(table.spec, x[train_rows], y[train_rows], x[test_rows])
        base = evaluate(y[test_rows], base_p)
        scores.append((model.roc_auc, model.brier, base.roc_auc, base.brier))
    mean = np.mean(np.array(scores), axis=0)
    return CrossValidation(
        folds=folds,
        roc_auc=float(mean[0]),
        brier=float(mean[1]),
        baseline_roc_auc=float(mean[2]),
        baseline_brier=float(mean[3]),
        fold_roc_auc=tuple(round(s[0], 5) for s in scores),
    )
