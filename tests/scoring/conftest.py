"""Synthetic lead CSVs with a known, nonlinear signal, and trained models shared per module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.csv_import import TrainingTable, build_training_table
from scoring.training import TrainedModel, TrainingConfig, train

SOURCES = ("Google", "Referral", "Direct", "Olark Chat", "Facebook")
SOURCE_EFFECT = {
    "Google": 0.0,
    "Referral": 1.5,
    "Direct": -0.3,
    "Olark Chat": -1.0,
    "Facebook": 0.4,
}
FAST = TrainingConfig(learning_rate=0.08, max_rounds=400, early_stopping_rounds=30, threads=1)


def make_leads(rows: int = 2000, *, seed: int = 7) -> pd.DataFrame:
    """Return a lead export whose conversion depends nonlinearly on time, visits and source."""
    rng = np.random.default_rng(seed)
    minutes = rng.gamma(2.0, 300.0, rows).round()
    visits = rng.poisson(3, rows).astype(float)
    source = rng.choice(SOURCES, rows)
    job = rng.choice(["Student", "Working Professional", "Unemployed", "Select"], rows)
    # A band of engaged visitors converts; very long sessions (idle tabs) do not: not linear.
    engaged = ((minutes > 400) & (minutes < 1400)).astype(float)
    logit = (
        -1.2
        + 2.5 * engaged
        + np.where(visits > 4, -1.0, 0.3)
        + np.vectorize(SOURCE_EFFECT.get)(source)
        + np.where(job == "Working Professional", 1.2, 0.0)
    )
    converted = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "Prospect ID": [f"p-{i:06d}" for i in range(rows)],
            "Lead Number": np.arange(100000, 100000 + rows),
            "Lead Source": source,
            "Occupation": job,
            "Total Time": minutes,
            "Visits": visits,
            "Country": "India",
            "Asymmetrique Score": np.where(converted, 15, 10) + rng.integers(0, 3, rows),
            "Created": pd.date_range("2025-01-01", periods=rows, freq="h").astype(str),
            "Converted": np.where(converted, "Yes", "No"),
        }
    )


def leads_table(frame: pd.DataFrame, **kwargs: object) -> TrainingTable:
    """Build the training table of a synthetic frame with the leaky column excluded."""
    return build_training_table(
        frame,
        target="Converted",
        exclude=["Asymmetrique*"],
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    """A 2,000-row synthetic lead export."""
    return make_leads()


@pytest.fixture(scope="module")
def table(leads: pd.DataFrame) -> TrainingTable:
    """The synthetic export as a training table."""
    return leads_table(leads)


@pytest.fixture(scope="module")
def trained(table: TrainingTable) -> TrainedModel:
    """A model trained on the synthetic table with fast settings."""
    return train(table, FAST)


@pytest.fixture
def leads_csv(tmp_path: Path, leads: pd.DataFrame) -> Path:
    """The synthetic export written as a comma CSV."""
    path = tmp_path / "leads.csv"
    leads.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def to_table() -> Callable[..., TrainingTable]:
    """Return the function that builds a synthetic frame's training table."""
    return leads_table


@pytest.fixture(scope="session")
def lead_factory() -> Callable[..., pd.DataFrame]:
    """Return the synthetic lead-export generator."""
    return make_leads


@pytest.fixture(scope="session")
def fast() -> TrainingConfig:
    """Fast training settings for tests."""
    return FAST
