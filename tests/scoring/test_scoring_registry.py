"""The model registry: versions, promotion on the same holdout, rollback, atomic writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scoring.csv_import import TrainingTable
from scoring.errors import ModelNotFound, ModelNotTrained, PromotionRefused
from scoring.registry import ModelRegistry
from scoring.training import TrainedModel, TrainingConfig, train

WEAK = TrainingConfig(num_leaves=2, learning_rate=0.01, max_rounds=3, early_stopping_rounds=1)


@pytest.fixture(scope="module")
def weak(table: TrainingTable) -> TrainedModel:
    """A deliberately poor model on the same holdout as `trained`."""
    return train(table, WEAK)


def test_register_and_list(tmp_path: Path, trained: TrainedModel) -> None:
    registry = ModelRegistry(tmp_path / "models")
    first = registry.register(trained, command="clinch train --csv a.csv")
    second = registry.register(trained, command="clinch train --csv a.csv")
    assert first.name.startswith("v0001-")
    assert second.name.startswith("v0002-")
    assert [v.name for v in registry.list_versions()] == [first.name, second.name]
    files = {p.name for p in (registry.root / first.name).iterdir()}
    assert {"model.txt", "calibrator.json", "features.json", "metrics.json", "meta.json"} <= files
    with pytest.raises(ModelNotTrained, match="clinch train"):
        registry.load_current()


def test_promote_refuses_worse_and_takes_better(
    tmp_path: Path, trained: TrainedModel, weak: TrainedModel
) -> None:
    registry = ModelRegistry(tmp_path)
    assert weak.holdout_id == trained.holdout_id
    good = registry.register(trained, command="good").name
    bad = registry.register(weak, command="bad").name
    assert registry.promote(good).promoted
    with pytest.raises(PromotionRefused, match=r"does not beat.*same holdout"):
        registry.promote(bad)
    assert registry.current_name() == good
    forced = registry.promote(bad, force=True)
    assert forced.reason.startswith("forced")
    assert registry.load_current().version == bad
    assert registry.rollback().version == good
    assert registry.current_name() == good


def test_promote_better_over_worse(
    tmp_path: Path, trained: TrainedModel, weak: TrainedModel
) -> None:
    registry = ModelRegistry(tmp_path)
    bad = registry.register(weak, command="bad").name
    good = registry.register(trained, command="good").name
    registry.promote(bad)
    decision = registry.promote(good)
    assert decision.promoted
    assert "beats" in decision.reason


def test_different_holdouts_rescore_current(
    tmp_path: Path,
    leads: pd.DataFrame,
    to_table: Callable[..., TrainingTable],
    trained: TrainedModel,
    fast: TrainingConfig,
) -> None:
    registry = ModelRegistry(tmp_path)
    registry.promote(registry.register(trained, command="a").name)
    other = train(to_table(leads.iloc[:1500]), fast)
    assert other.holdout_id != trained.holdout_id
    name = registry.register(other, command="b").name
    decision = registry.promote(name, force=True)
    assert decision.promoted
    assert "re-scored" in decision.reason


def test_unknown_version_and_empty_rollback(tmp_path: Path, trained: TrainedModel) -> None:
    registry = ModelRegistry(tmp_path)
    name = registry.register(trained, command="a").name
    with pytest.raises(ModelNotFound, match=name):
        registry.promote("v0042-nope")
    registry.promote(name)
    with pytest.raises(PromotionRefused, match="nothing to roll back"):
        registry.rollback()


def test_failed_write_leaves_no_version(tmp_path: Path, trained: TrainedModel) -> None:
    registry = ModelRegistry(tmp_path)

    def explode(folder: Path) -> None:
        (folder / "report.html").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        registry.register(trained, command="a", write_extras=explode)
    assert list(tmp_path.iterdir()) == []
    assert registry.list_versions() == []
