"""Rescoring leads in the store: stored with versions and reasons, only when stale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import make_engine, make_session_factory
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Score
from leads.scores import latest_scores
from leads.snapshots import lead_id_pages, load_snapshots
from scoring.errors import ModelNotTrained
from scoring.features import FEATURES_VERSION
from scoring.lead_dataset import build_store_dataset
from scoring.lead_scoring import rescore_chunk, rescore_leads
from scoring.registry import ModelRegistry
from scoring.scorer import Scorer
from scoring.training import TrainingConfig, train
from tests.simulated_store import END, copy_database

FAST = TrainingConfig(learning_rate=0.08, max_rounds=300, early_stopping_rounds=30, threads=1)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, simulated_store: Path
) -> Iterator[sessionmaker[Session]]:
    """The module's copy of the run's store of 1,500 simulated leads ending at END."""
    path = copy_database(simulated_store, tmp_path_factory.mktemp("store") / "clinch.sqlite")
    engine = make_engine(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def scorer(store: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    """A model trained from the store, registered and loaded back as the current one."""
    with store() as session:
        records = list(load_snapshots(session, as_of=END))
    table = build_store_dataset(records, observe_days=3, now=END)
    registry = ModelRegistry(tmp_path_factory.mktemp("models"))
    version = registry.register(train(table, FAST), command="test")
    registry.promote(version.name, force=True)
    return Scorer.from_registry(registry)


def test_every_lead_gets_a_stored_score_with_versions(
    store: sessionmaker[Session], scorer: Scorer
) -> None:
    with store() as session:
        scored = rescore_leads(session, lead_ids=None, scorer=scorer, as_of=END, only_stale=False)
        session.commit()
        newest = latest_scores(session, lead_ids=scored)
    assert len(scored) > 900
    some = newest[scored[0]]
    assert 0.0 <= some.probability <= 1.0
    assert some.band in {"hot", "warm", "cold"}
    assert some.model_version == scorer.model.version
    assert some.features_version == FEATURES_VERSION
    assert all("text" in r for r in some.reasons)
    # Store models speak plain words: no feature name reaches the rep.
    texts = [r["text"] for score in newest.values() for r in score.reasons]
    assert texts
    assert not [t for t in texts if "_" in t or " = " in t]


def test_only_stale_leads_are_rescored(store: sessionmaker[Session], scorer: Scorer) -> None:
    later = END + timedelta(minutes=1)
    with store() as session:
        ids = rescore_leads(session, lead_ids=None, scorer=scorer, as_of=END, only_stale=False)
        session.commit()
        assert rescore_leads(session, lead_ids=ids, scorer=scorer, as_of=later) == []
        event = EventIn(event_id="late-1", type="pricing_view", occurred_at=later, lead_id=ids[0])
        ingest_events(session, batch=[event], received_at=later + timedelta(seconds=1))
        again = rescore_leads(
            session, lead_ids=ids, scorer=scorer, as_of=later + timedelta(seconds=2)
        )
        session.commit()
        total = session.scalar(select(func.count()).select_from(Score))
    assert again == [ids[0]]
    assert total is not None
    assert total >= 2 * len(ids) + 1


def test_a_model_from_other_columns_is_refused(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    import numpy as np
    import pandas as pd

    from scoring.csv_import import build_training_table

    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"visits": x, "Converted": (x + rng.normal(size=600) > 0.5).astype(int)})
    registry = ModelRegistry(tmp_path / "models")
    version = registry.register(
        train(build_training_table(frame, target="Converted"), FAST), command="t"
    )
    registry.promote(version.name, force=True)
    with store() as session, pytest.raises(ModelNotTrained, match="clinch train"):
        rescore_leads(session, lead_ids=None, scorer=Scorer.from_registry(registry), as_of=END)


def test_a_periodic_pass_stores_only_scores_that_moved(
    store: sessionmaker[Session], scorer: Scorer
) -> None:
    month_later = END + timedelta(days=30)
    with store() as session:
        ids = next(lead_id_pages(session, size=300))
        before = session.scalar(select(func.count()).select_from(Score))
        quiet_month = rescore_chunk(session, lead_ids=ids, scorer=scorer, as_of=month_later)
        redelivered = rescore_chunk(session, lead_ids=ids, scorer=scorer, as_of=month_later)
        minute_on = month_later + timedelta(minutes=1)
        next_pass = rescore_chunk(session, lead_ids=ids, scorer=scorer, as_of=minute_on)
        after = session.scalar(select(func.count()).select_from(Score))
        session.rollback()
    assert quiet_month  # a month of silence moves scores: the features carry time
    assert redelivered == []  # already scored in this pass
    assert next_pass == []  # a minute later nothing moved enough to store
    assert before is not None
    assert after == before + len(quiet_month)
