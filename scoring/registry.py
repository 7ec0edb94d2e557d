"""A model registry in a folder: atomic versions, a `current` pointer, promotion and rollback."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from scoring.artifacts import (
    META_FILE,
    METRICS_FILE,
    LoadedModel,
    read_holdout,
    read_json,
    read_version,
    write_version,
)
from scoring.errors import ModelNotFound, ModelNotTrained, PromotionRefused
from scoring.training import TrainedModel

CURRENT_FILE = "current"
HISTORY_FILE = "promotions.json"
_VERSION = re.compile(r"^v(\d{4,})-")


@dataclass(frozen=True)
class ModelVersion:
    """One registered version as listed: name, when, holdout identity and headline metrics."""

    name: str
    created: str
    holdout_id: str
    roc_auc: float
    brier: float
    is_current: bool


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a version became current, and why."""

    version: str
    promoted: bool
    reason: str


class ModelRegistry:
    """Versions of the scoring model under one folder (e.g. CLINCH_HOME/models/scoring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def register(
        self,
        model: TrainedModel,
        *,
        command: str,
        write_extras: Callable[[Path], None] | None = None,
    ) -> ModelVersion:
        """Write a new version atomically (temp folder, then rename) and return it."""
        self.root.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        name = f"v{self._next_number():04d}-{now.strftime('%Y%m%dT%H%M%SZ')}"
        staging = self.root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
        meta = _meta(model, command=command, created=now.isoformat(timespec="seconds"))
        try:
            staging.mkdir()
            write_version(staging, model, meta)
            if write_extras is not None:
                write_extras(staging)
            os.rename(staging, self.root / name)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return self._describe(name)

    def list_versions(self) -> list[ModelVersion]:
        """Return every complete version, oldest first."""
        return [self._describe(name) for name in self._names()]

    def current_name(self) -> str | None:
        """Return the name of the current version, or None before the first promotion."""
        path = self.root / CURRENT_FILE
        return path.read_text().strip() or None if path.exists() else None

    def load(self, version: str) -> LoadedModel:
        """Load a named version."""
        return read_version(self._folder(version))

    def load_current(self) -> LoadedModel:
        """Load the current version; raise ModelNotTrained when none is promoted."""
        name = self.current_name()
        if name is None:
            raise ModelNotTrained(
                f"no promoted scoring model in {self.root}; run `clinch train --csv ...` first"
            )
        return self.load(name)

    def promote(self, version: str, *, force: bool = False) -> PromotionDecision:
        """Make a version current if it beats the current one on the same holdout (or forced)."""
        self._folder(version)
        current = self.current_name()
        if current == version:
            return PromotionDecision(version, False, f"{version} is already current")
        ok, reason = (
            (True, "no current model") if current is None else self._compare(version, current)
        )
        if not ok and not force:
            raise PromotionRefused(f"{reason}; pass --force to promote anyway")
        if not ok:
            reason = f"forced: {reason}"
        self._set_current(version, [*self._history(), version])
        return PromotionDecision(version, True, reason)

    def rollback(self) -> PromotionDecision:
        """Make the previously promoted version current again."""
        history = self._history()
        if len(history) < 2:
            raise PromotionRefused("nothing to roll back to: fewer than two promotions so far")
        previous = history[-2]
        self._folder(previous)
        self._set_current(previous, history[:-1])
        return PromotionDecision(previous, True, f"rolled back from {history[-1]}")

    def _compare(self, candidate: str, current: str) -> tuple[bool, str]:
        new_meta, old_meta = self._meta(candidate), self._meta(current)
        new_auc, old_auc = float(new_meta["roc_auc"]), float(old_meta["roc_auc"])
        if new_meta["holdout_id"] == old_meta["holdout_id"]:
            where = "the same holdout"
        else:
            rescored = self._rescore(current, candidate)
            if rescored is None:
                return False, (
                    f"{candidate} and {current} were evaluated on different holdouts and "
                    f"{current} cannot score {candidate}'s holdout, so they cannot be compared"
                )
            old_auc, where = rescored, f"{candidate}'s holdout (re-scored {current})"
        verdict = new_auc > old_auc or (
            new_auc == old_auc and float(new_meta["brier"]) < float(old_meta["brier"])
        )
        word = "beats" if verdict else "does not beat"
        return (
            verdict,
            f"{candidate} {word} {current} on {where}: AUC {new_auc:.4f} vs {old_auc:.4f}",
        )

    def _rescore(self, current: str, candidate: str) -> float | None:
        stored = read_holdout(self._folder(candidate))
        if stored is None:
            return None
        frame, target = stored
        model = self.load(current)
        if not set(model.spec.names) <= set(frame.columns) or len(set(target)) < 2:
            return None
        return float(roc_auc_score(target, model.probabilities(frame)))

    def _meta(self, version: str) -> dict[str, Any]:
        return read_json(self._folder(version) / META_FILE)

    def _describe(self, name: str) -> ModelVersion:
        meta = self._meta(name)
        return ModelVersion(
            name=name,
            created=str(meta["created"]),
            holdout_id=str(meta["holdout_id"]),
            roc_auc=float(meta["roc_auc"]),
            brier=float(meta["brier"]),
            is_current=name == self.current_name(),
        )

    def _folder(self, version: str) -> Path:
        folder = self.root / version
        if not _VERSION.match(version) or not (folder / METRICS_FILE).exists():
            known = ", ".join(self._names()) or "none yet"
            raise ModelNotFound(f"no model version {version!r}; known versions: {known}")
        return folder

    def _names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _VERSION.match(p.name)]
        return sorted(found, key=lambda n: int(_VERSION.match(n).group(1)))  # type: ignore[union-attr]

    def _next_number(self) -> int:
        names = self._names()
        return int(_VERSION.match(names[-1]).group(1)) + 1 if names else 1  # type: ignore[union-attr]

    def _history(self) -> list[str]:
        path = self.root / HISTORY_FILE
        return [str(v) for v in json.loads(path.read_text())] if path.exists() else []

    def _set_current(self, version: str, history: list[str]) -> None:
        _atomic_write(self.root / HISTORY_FILE, json.dumps(history, indent=2))
        _atomic_write(self.root / CURRENT_FILE, version + "\n")


def _atomic_write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    temp.write_text(text)
    os.replace(temp, path)


def _meta(model: TrainedModel, *, command: str, created: str) -> dict[str, Any]:
    return {
        "created": created,
        "command": command,
        "holdout_id": model.holdout_id,
        "roc_auc": model.metrics.roc_auc,
        "brier": model.metrics.brier,
        "data_window": model.data_window,
        "split": model.split,
        "params": model.params(),
        "calibration": model.fitted.calibrator.method,
    }
