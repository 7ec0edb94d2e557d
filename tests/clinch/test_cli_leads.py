"""`clinch leads list|show` on a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clinch.cli_leads import leads_app
from clinch.settings import get_settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.migrate import upgrade
from leads.scores import add_score


@pytest.fixture
def home(home: Path) -> Path:
    """The shared CLINCH_HOME (tests/conftest.py), created and migrated."""
    home.mkdir()
    upgrade(get_settings().sqlalchemy_url)
    return home


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.add_typer(leads_app, name="leads")
    return app


def test_list_and_show_a_scored_lead(cli: typer.Typer, home: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(cli, ["leads", "list"])
    assert empty.exit_code == 0
    assert "no scored leads yet" in empty.stdout
    now = datetime.now(UTC)
    engine, sessions = open_database(get_settings())
    with unit_of_work(sessions) as session:
        event = EventIn(
            event_id="c1",
            type="identify",
            occurred_at=now - timedelta(minutes=5),
            email="ana@acme.io",
            properties={"company": "Acme"},
        )
        (outcome,) = ingest_events(session, batch=[event], received_at=now).outcomes
        assert outcome.lead_id is not None
        add_score(
            session,
            lead_id=outcome.lead_id,
            probability=0.31,
            band="warm",
            model_version="v0001-x",
            features_version="lead-features-1",
            reasons=[{"text": "Viewed pricing 4 times in the last 7 days: +9 pts"}],
            scored_at=now,
            events_seen=1,
        )
    engine.dispose()

    listed = runner.invoke(cli, ["leads", "list", "--band", "warm", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["email"], row["summary"]) == ("ana@acme.io", "31% likely to buy")
    shown = runner.invoke(cli, ["leads", "show", str(outcome.lead_id)])
    assert shown.exit_code == 0, shown.output
    assert "31% likely to buy · warm · model v0001-x" in shown.stdout
    assert "Viewed pricing 4 times in the last 7 days: +9 pts" in shown.stdout
    assert "at Acme" in shown.stdout


def test_bad_input_is_a_message(cli: typer.Typer, home: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["leads", "show", "424242"])
    assert missing.exit_code == 1
    assert "no lead has id 424242" in missing.stderr
    untrained = runner.invoke(cli, ["leads", "rescore"])
    assert untrained.exit_code == 1
    assert "clinch train" in untrained.stderr
    band = runner.invoke(cli, ["leads", "list", "--band", "lukewarm"])
    assert band.exit_code == 2
    assert "lukewarm" in band.stderr
