"""Scoring: the numpy-row path, batches, unseen values, reasons that add up, bands."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.errors import InvalidScoringInput, ModelNotTrained
from scoring.feature_spec import encode_row
from scoring.registry import ModelRegistry
from scoring.scorer import POINTS_PER_LOG_ODDS, Bands, Scorer, format_number
from scoring.training import TrainedModel, predict_margin


@pytest.fixture(scope="module")
def scorer(tmp_path_factory: pytest.TempPathFactory, trained: TrainedModel) -> Scorer:
    registry = ModelRegistry(tmp_path_factory.mktemp("registry"))
    registry.promote(registry.register(trained, command="test").name)
    return Scorer(registry.load_current(), bands=Bands(hot=0.6, warm=0.3))


def test_row_path_equals_batch_path(scorer: Scorer, leads: pd.DataFrame) -> None:
    sample = leads.head(50)
    batch = scorer.score_batch(sample)
    for i, row in enumerate(sample.to_dict("records")):
        single = scorer.score_row(row)
        assert single.probability == pytest.approx(batch[i].probability, abs=1e-12)
        assert single.reasons == batch[i].reasons
        assert single.band == batch[i].band


def test_batch_matches_holdout_probabilities(scorer: Scorer, trained: TrainedModel) -> None:
    scores = scorer.score_batch(trained.holdout, reasons=False)
    got = np.array([s.probability for s in scores])
    np.testing.assert_allclose(got, trained.holdout_probabilities, atol=1e-9)
    assert all(s.reasons == () for s in scores)


def test_array_batch_matches_per_row_scores(scorer: Scorer, trained: TrainedModel) -> None:
    many = scorer.score_many(scorer.encode(trained.holdout))
    rows = scorer.score_batch(trained.holdout, reasons=False)
    np.testing.assert_allclose(many.probabilities, [s.probability for s in rows], atol=1e-12)
    assert list(many.bands) == [s.band for s in rows]
    assert set(many.bands) <= {"hot", "warm", "cold"}
    assert many.model_version == scorer.model.version
    with_reasons = scorer.score_batch(trained.holdout.head(30))
    np.testing.assert_allclose(
        [s.probability for s in with_reasons], many.probabilities[:30], atol=1e-9
    )


def test_unseen_category_scores_as_missing(scorer: Scorer, leads: pd.DataFrame) -> None:
    row = leads.iloc[0].to_dict()
    unseen = scorer.score_row({**row, "Lead Source": "TikTok"})
    missing = scorer.score_row({**row, "Lead Source": None})
    assert unseen.probability == missing.probability
    assert any(r.text.startswith("Lead Source is missing") for r in unseen.reasons) or all(
        r.feature != "Lead Source" for r in unseen.reasons
    )


def test_nan_and_absent_values_are_fine(scorer: Scorer) -> None:
    score = scorer.score_row({"Total Time": math.nan})
    assert 0.0 < score.probability < 1.0
    assert score.model_version.startswith("v0001-")


def test_contributions_sum_to_raw_log_odds(scorer: Scorer, leads: pd.DataFrame) -> None:
    x = np.vstack([encode_row(scorer.model.spec, r) for r in leads.head(20).to_dict("records")])
    contrib = scorer.contributions(x)
    np.testing.assert_allclose(contrib.sum(axis=1), predict_margin(scorer.model.booster, x))


def test_reasons_are_plain_words(scorer: Scorer, leads: pd.DataFrame) -> None:
    score = scorer.score_row(leads.iloc[3].to_dict())
    assert 0 < len(score.reasons) <= 6
    for reason in score.reasons:
        assert reason.points == round(POINTS_PER_LOG_ODDS * reason.contribution)
        assert reason.text.startswith(reason.feature)
        assert reason.text.endswith(" pts")
    ups = [r.points for r in score.reasons if r.points > 0]
    assert ups == sorted(ups, reverse=True)


def test_bands_and_formatting() -> None:
    bands = Bands(hot=0.6, warm=0.3)
    assert [bands.band(p) for p in (0.7, 0.6, 0.4, 0.1)] == ["hot", "hot", "warm", "cold"]
    with pytest.raises(InvalidScoringInput, match="warm ≤ hot"):
        Bands(hot=0.2, warm=0.5)
    assert format_number(1532.0) == "1,532"
    assert format_number(2.5) == "2.5"


def test_from_registry_and_missing_columns(scorer: Scorer, tmp_path: Path) -> None:
    assert scorer.model.booster is scorer.model.booster
    assert scorer.model.spec.columns[-1] == "missing fields"
    assert scorer.missing_columns(["Lead Source", "Visits"]) == [
        n for n in scorer.model.spec.names if n not in {"Lead Source", "Visits"}
    ]
    with pytest.raises(InvalidScoringInput, match="expects: "):
        scorer.missing_columns(["Email"])
    with pytest.raises(ModelNotTrained):
        Scorer.from_registry(ModelRegistry(tmp_path))
