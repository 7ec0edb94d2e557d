"""The files of one model version, and the loaded model they describe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from scoring.calibration import Calibrator
from scoring.errors import CorruptModel
from scoring.feature_spec import FeatureSpec, encode_frame
from scoring.training import TrainedModel, predict_margin

MODEL_FILE = "model.txt"
CALIBRATOR_FILE = "calibrator.json"
FEATURES_FILE = "features.json"
METRICS_FILE = "metrics.json"
META_FILE = "meta.json"
HOLDOUT_FILE = "holdout.csv.gz"
TARGET_COLUMN = "__target__"


@dataclass(frozen=True)
class LoadedModel:
    """A model version read from disk: booster text, calibrator, spec, metrics and metadata."""

    version: str
    model_text: str
    calibrator: Calibrator
    spec: FeatureSpec
    metrics: dict[str, Any]
    meta: dict[str, Any]

    @cached_property
    def booster(self) -> lgb.Booster:
        """Return the LightGBM booster (built once)."""
        return lgb.Booster(model_str=self.model_text)

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Return calibrated probabilities for a frame of raw columns."""
        x = encode_frame(self.spec, frame)
        return self.calibrator.apply(predict_margin(self.booster, x))


def write_version(folder: Path, model: TrainedModel, meta: dict[str, Any]) -> None:
    """Write a trained model's files into `folder`."""
    (folder / MODEL_FILE).write_text(model.fitted.model_text)
    _dump(folder / CALIBRATOR_FILE, model.fitted.calibrator.to_json())
    (folder / FEATURES_FILE).write_text(model.spec.dumps())
    metrics = {"model": model.metrics.to_dict(), "baseline": model.baseline.to_dict()}
    _dump(folder / METRICS_FILE, metrics)
    _dump(folder / META_FILE, meta)
    holdout = model.holdout.assign(**{TARGET_COLUMN: model.holdout_target})
    holdout.to_csv(folder / HOLDOUT_FILE, index=False, compression="gzip")


def read_version(folder: Path) -> LoadedModel:
    """Read a model version folder; raise CorruptModel when a file is missing or unreadable."""
    try:
        return LoadedModel(
            version=folder.name,
            model_text=(folder / MODEL_FILE).read_text(),
            calibrator=Calibrator.from_json(_load(folder / CALIBRATOR_FILE)),
            spec=FeatureSpec.from_json(_load(folder / FEATURES_FILE)),
            metrics=_load(folder / METRICS_FILE),
            meta=_load(folder / META_FILE),
        )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise CorruptModel(f"model version {folder.name} is unreadable ({exc}); retrain") from exc


def read_holdout(folder: Path) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Return a version's stored holdout rows and labels, or None when absent."""
    path = folder / HOLDOUT_FILE
    if not path.exists():
        return None
    frame = pd.read_csv(path, low_memory=False)
    target = frame.pop(TARGET_COLUMN).to_numpy(dtype=np.int8)
    return frame, target


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object file."""
    return _load(path)


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return data


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, default=str))
