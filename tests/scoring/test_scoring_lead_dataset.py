"""Training from the lead store: snapshots, the golden train = serve test, labels, AUC, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from clinch import cli_models
from clinch.cli_models import SOURCE_FILE, train_command
from clinch.cli_simulate import simulate_command
from leads.db import make_engine, make_session_factory
from leads.models import Lead
from leads.snapshots import LeadRecord, load_snapshots
from scoring.errors import InvalidTrainingData
from scoring.features import FEATURE_NAMES, FEATURES_VERSION, compute_features
from scoring.lead_dataset import (
    TIME_COLUMN,
    StoreRow,
    build_store_dataset,
    build_store_rows,
    feature_frame,
    target_name,
)
from scoring.lead_snapshot import snapshot_from_record
from scoring.registry import ModelRegistry
from scoring.scorer import Scorer
from scoring.training import TrainingConfig, train
from tests.simulated_store import END, LEADS, copy_database, fill_store

FAST = TrainingConfig(learning_rate=0.08, max_rounds=400, early_stopping_rounds=30, threads=1)


@contextmanager
def sqlite_sessions(path: Path) -> Iterator[Session]:
    """Yield a session on a SQLite file, disposing of its engine after."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory, simulated_store: Path) -> Path:
    """The module's copy of the run's store of 1,500 simulated leads (filled once per run)."""
    return copy_database(simulated_store, tmp_path_factory.mktemp("store") / "clinch.sqlite")


@pytest.fixture(scope="module")
def store(store_file: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the simulated store."""
    engine = make_engine(f"sqlite:///{store_file}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def records(store: sessionmaker[Session]) -> list[LeadRecord]:
    """Every stored lead with all its events."""
    with store() as session:
        return list(load_snapshots(session, batch=400))


@pytest.fixture(scope="module")
def rows(records: list[LeadRecord]) -> list[StoreRow]:
    """The training rows of the store with the default windows."""
    return build_store_rows(records, now=END)


def test_small_store_snapshots_skip_merged_leads_and_cut_at_as_of(
    sessions: sessionmaker[Session],
) -> None:
    fill_store(sessions, leads=40, seed=3)
    with sessions() as session:
        merged = session.scalar(select(func.count()).where(Lead.merged_into_id.is_not(None)))
        unmerged = session.scalar(select(func.count()).where(Lead.merged_into_id.is_(None)))
        records = list(load_snapshots(session, batch=7))
        as_of = END - timedelta(days=40)
        cut = list(load_snapshots(session, as_of=as_of, lead_ids=[r.lead_id for r in records[:5]]))
    assert merged == 0  # the intake merges visitors by moving their events; none here
    assert len(records) == unmerged
    assert [r.lead_id for r in records] == sorted(r.lead_id for r in records)
    assert [r.lead_id for r in cut] == [r.lead_id for r in records[:5]]
    assert all(e.occurred_at <= as_of for r in cut for e in r.events)
    full = {r.lead_id: r for r in records}
    for record in cut:
        kept = [e for e in full[record.lead_id].events if e.occurred_at <= as_of]
        assert record.events == tuple(kept)


def test_merged_leads_are_not_loaded(sessions: sessionmaker[Session]) -> None:
    fill_store(sessions, leads=10, seed=4)
    with sessions() as session:
        first, second = session.scalars(select(Lead.id).order_by(Lead.id).limit(2)).all()
        session.execute(update(Lead).where(Lead.id == second).values(merged_into_id=first))
        loaded = [r.lead_id for r in load_snapshots(session)]
    assert first in loaded
    assert second not in loaded
    assert len(loaded) == 9


def test_too_few_leads_is_a_clear_error(sessions: sessionmaker[Session]) -> None:
    fill_store(sessions, leads=30, seed=5)
    with sessions() as session, pytest.raises(InvalidTrainingData, match="clinch simulate"):
        build_store_dataset(load_snapshots(session), now=END)


def test_snapshot_loading_is_two_queries_per_batch(sessions: sessionmaker[Session]) -> None:
    fill_store(sessions, leads=25, seed=6)
    statements: list[str] = []
    with sessions() as session:
        engine = session.get_bind()

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            loaded = list(load_snapshots(session, batch=10))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    lead_queries = [s for s in statements if "FROM leads" in s]
    event_queries = [s for s in statements if "FROM events" in s]
    # Three batches of leads (10, 10, 5) and an empty one that ends the loop.
    assert len(loaded) == 25
    assert len(lead_queries) == 4
    assert len(event_queries) == 3


@pytest.mark.slow
def test_dataset_rows_are_old_enough_labelled_in_horizon_and_purchase_free(
    records: list[LeadRecord], rows: list[StoreRow]
) -> None:
    by_id = {r.lead_id: r for r in records}
    assert 0.6 * LEADS < len(rows) < LEADS
    rate = sum(r.label for r in rows) / len(rows)
    assert 0.01 < rate < 0.2
    for row in rows:
        record = by_id[row.lead_id]
        first = min(e.occurred_at for e in record.events)
        assert row.observed_at == first + timedelta(days=7)
        assert row.observed_at + timedelta(days=30) <= END
        bought = [e.occurred_at for e in record.events if e.type == "purchase"]
        assert all(at > row.observed_at for at in bought)
        in_horizon = any(at <= row.observed_at + timedelta(days=30) for at in bought)
        assert row.label == int(in_horizon)
    assert not any("purchase" in name for name in FEATURE_NAMES)


@pytest.mark.slow
def test_golden_training_features_equal_features_served_from_the_store(
    store: sessionmaker[Session], rows: list[StoreRow]
) -> None:
    """The row a model trains on equals the row scoring computes from the store at that time."""
    sample = rows[:: max(1, len(rows) // 60)]
    assert any(row.label for row in rows)
    sample += [row for row in rows if row.label][:10]
    with store() as session:
        for row in sample:
            (served,) = load_snapshots(session, lead_ids=[row.lead_id], as_of=row.observed_at)
            assert all(e.occurred_at <= row.observed_at for e in served.events)
            online = compute_features(
                snapshot_from_record(served, as_of=row.observed_at), as_of=row.observed_at
            )
            assert online == row.features, row.lead_id


@pytest.mark.slow
def test_a_model_trained_from_the_store_learns_the_hidden_propensity(
    records: list[LeadRecord],
) -> None:
    table = build_store_dataset(records, now=END, observe_days=3)
    assert table.time_col == TIME_COLUMN
    assert table.target_name == target_name(30)
    assert table.spec.names == FEATURE_NAMES
    model = train(table, FAST)
    assert model.split["kind"] == f"time-ordered by {TIME_COLUMN}"
    assert model.metrics.roc_auc > 0.7, model.metrics


@pytest.fixture
def cli() -> typer.Typer:
    """The train and simulate commands."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("train")(train_command)
    app.command("simulate")(simulate_command)
    return app


def test_train_without_csv_on_a_near_empty_store_says_to_simulate(
    cli: typer.Typer, home: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["simulate", "--leads", "20", "--json"]).exit_code == 0
    result = runner.invoke(cli, ["train"])
    assert result.exit_code == 1
    assert "clinch simulate" in result.stderr
    assert "Traceback" not in result.output
    target_only = runner.invoke(cli, ["train", "--target", "Converted"])
    assert target_only.exit_code == 1
    assert "--csv" in target_only.stderr


@pytest.mark.parametrize(
    ("now", "message"),
    [("2999-01-01", "is in the future"), ("last tuesday", "is not an ISO time")],
)
def test_train_refuses_a_bad_training_time(
    cli: typer.Typer, home: Path, now: str, message: str
) -> None:
    result = CliRunner().invoke(cli, ["train", "--now", now])
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (home / "models").exists()


@pytest.mark.slow
def test_train_without_csv_registers_a_store_model(
    cli: typer.Typer, home: Path, store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`clinch train` with no CSV trains on the store under CLINCH_HOME and registers a version."""
    # The real trainer with the fast test settings: on a busy two-core machine the default
    # (2 OpenMP threads, 3,000 rounds at 0.03) takes 30-60 s here instead of 2-7 s.
    monkeypatch.setattr(cli_models, "train", lambda table: train(table, FAST))
    # The module's simulated store stands in for `clinch simulate --leads 1500` (the same intake,
    # with a fixed end in the past), so the test pays for one simulation, not two.
    copy_database(store_file, home / "clinch.sqlite")
    runner = CliRunner()
    # The store's data ends at END: trained as of END, every lead is observed and labelled.
    argv = ["train", "--json", "--observe-days", "3", "--now", "2026-11-01"]
    result = runner.invoke(cli, argv)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["promoted"] is True
    assert summary["training_source"]["features_version"] == FEATURES_VERSION
    folder = home / "models" / "scoring" / summary["version"]
    source = json.loads((folder / SOURCE_FILE).read_text())
    assert source == {
        "source": "lead store",
        "features_version": FEATURES_VERSION,
        "horizon_days": 30,
        "observe_days": 3,
        "now": "2026-11-01T00:00:00+00:00",
    }
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["command"] == (
        "clinch train --horizon-days 30 --observe-days 3 --now 2026-11-01T00:00:00+00:00"
    )
    again = runner.invoke(cli, ["train", "--if-missing"])
    assert again.exit_code == 0
    assert f"model {summary['version']} is current" in again.stdout
    features = json.loads((folder / "features.json").read_text())
    assert tuple(f["name"] for f in features["features"]) == FEATURE_NAMES

    # Online: a stored lead's snapshot, through the same features, scores like its batch row.
    scorer = Scorer.from_registry(ModelRegistry(home / "models" / "scoring"))
    at = datetime.now(UTC)
    with sqlite_sessions(home / "clinch.sqlite") as session:
        snapshots = [snapshot_from_record(r, as_of=at) for r in load_snapshots(session)]
    rows = [compute_features(s, as_of=at) for s in snapshots[:50]]
    batch = scorer.score_batch(feature_frame(rows), reasons=False)
    for values, scored in zip(rows, batch, strict=True):
        online = scorer.score_row(values)
        assert online.probability == pytest.approx(scored.probability, abs=1e-12)
        assert online.model_version == summary["version"]
