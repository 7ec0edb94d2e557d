"""The scoring tasks of the Celery app, called as a worker calls them (not eager mode)."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinch.celery_app import create_celery
from clinch.scoring_tasks import RESCORE_CHUNK
from clinch.settings import Settings
from clinch.wiring import open_database
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Score
from leads.scores import latest_scores
from leads.simulator import simulate
from leads.snapshots import load_snapshots
from scoring.lead_dataset import build_store_dataset
from scoring.registry import ModelRegistry
from scoring.training import TrainingConfig, train
from tests.simulated_store import copy_database

FAST = TrainingConfig(learning_rate=0.08, max_rounds=300, early_stopping_rounds=30, threads=1)


def _home(tmp_path: Path, *, leads: int) -> Settings:
    settings = Settings(home=tmp_path / "home", _env_file=None)
    settings.resolved_home.mkdir(parents=True)
    engine, sessions = open_database(settings)
    # The simulation ends a little in the past so its events pass the intake's clock checks.
    end = datetime.now(UTC) - timedelta(minutes=1)
    events: list[EventIn] = [e for _, ev in simulate(leads=leads, seed=5, end=end) for e in ev]
    with sessions() as session:
        for start in range(0, len(events), 500):
            ingest_events(session, batch=events[start : start + 500], received_at=end)
        session.commit()
    engine.dispose()
    return settings


def test_without_a_model_rescoring_is_skipped_not_failed(tmp_path: Path) -> None:
    settings = _home(tmp_path, leads=20)
    task = create_celery(settings).tasks["scoring.rescore_leads"]
    assert task.run([1, 2]) == 0


def _queued(settings: Settings, task: str) -> list[tuple[list[int], str]]:
    with sqlite3.connect(settings.resolved_home / "broker.sqlite") as db:
        rows = db.execute("SELECT payload FROM kombu_message").fetchall()
    found = []
    for (payload,) in rows:
        message = json.loads(payload)
        if message["headers"]["task"] == task:
            args = json.loads(base64.b64decode(message["body"]))[0]
            found.append((list(args[0]), str(args[1])))
    return found


@pytest.mark.slow
def test_rescore_tasks_store_scores_with_the_current_model(
    tmp_path: Path, simulated_store: Path
) -> None:
    # The run's store of 1,500 simulated leads (ending at END, in the past): two chunks.
    settings = Settings(home=tmp_path / "home", _env_file=None)
    copy_database(simulated_store, settings.resolved_home / "clinch.sqlite")
    engine, sessions = open_database(settings)
    now = datetime.now(UTC)
    with sessions() as session:
        records = list(load_snapshots(session, as_of=now))
    registry = ModelRegistry(settings.resolved_home / "models" / "scoring")
    version = registry.register(
        train(build_store_dataset(records, observe_days=3, now=now), FAST), command="test"
    )
    registry.promote(version.name, force=True)
    celery = create_celery(settings)

    chunks = celery.tasks["scoring.rescore_all"].run()
    queued = _queued(settings, "scoring.rescore_chunk")
    assert chunks == len(queued) == -(-len(records) // RESCORE_CHUNK)
    assert sorted(i for ids, _ in queued for i in ids) == [r.lead_id for r in records]
    chunk = celery.tasks["scoring.rescore_chunk"]
    stored = sum(chunk.run(ids, as_of) for ids, as_of in queued)
    redelivered = chunk.run(*queued[0])  # a chunk run twice stores nothing twice
    again = celery.tasks["scoring.rescore_leads"].run([records[0].lead_id])

    assert stored == len(records)
    assert redelivered == 0
    assert again == 0  # nothing happened to that lead since its score
    with sessions() as session:
        score = latest_scores(session, lead_ids=[records[0].lead_id])[records[0].lead_id]
        total = session.scalar(select(func.count()).select_from(Score))
    engine.dispose()
    assert score.model_version == version.name
    assert total == len(records)
