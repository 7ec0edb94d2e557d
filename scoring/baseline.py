"""The logistic-regression baseline (one-hot + scaling), trained on the same split as the model."""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from scoring.feature_spec import FeatureSpec


def baseline_probabilities(
    spec: FeatureSpec, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray
) -> np.ndarray:
    """Fit the baseline on encoded training rows and return probabilities for test rows."""
    cats = spec.categorical_indices
    nums = [i for i in range(x_train.shape[1]) if i not in set(cats)]
    steps = [("num", make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()), nums)]
    if cats:
        onehot = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)
        steps.append(("cat", onehot, cats))
    model = make_pipeline(ColumnTransformer(steps), LogisticRegression(max_iter=2000))
    # Missing category codes become their own level (-1) for the one-hot encoder.
    model.fit(_fill_codes(x_train, cats), y_train)
    probs: np.ndarray = model.predict_proba(_fill_codes(x_test, cats))[:, 1]
    return probs


def _fill_codes(x: np.ndarray, cats: list[int]) -> np.ndarray:
    out = x.copy()
    if cats:
        block = out[:, cats]
        block[np.isnan(block)] = -1.0
        out[:, cats] = block
    return out
