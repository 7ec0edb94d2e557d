"""`clinch routing check / load / show / route / queue` and reps loading draining the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clinch.cli import app
from clinch.settings import get_settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Assignment, AuditEntry, QueuedLead

REPO = Path(__file__).resolve().parents[2]
DEMO_RULES = REPO / "demo" / "routing.yaml"
# A rep on every hour of every day, so the test does not depend on when it runs.
ALWAYS_ON = """
reps:
  - {name: Night Owl, email: owl@q.test, team: mid-market, timezone: UTC,
     working_days: [mon, tue, wed, thu, fri, sat, sun], working_hours: "00:00-23:59"}
"""


@pytest.fixture
def runner(clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    del clean_env
    monkeypatch.setenv("CLINCH_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_a_rules_file_with_a_typo_is_refused_and_the_rules_in_force_stay(
    runner: CliRunner, tmp_path: Path
) -> None:
    checked = runner.invoke(app, ["routing", "check", str(DEMO_RULES)])
    assert checked.exit_code == 0, checked.output
    assert "segments enterprise, mid-market, self-serve" in checked.stdout
    assert runner.invoke(app, ["routing", "load", str(DEMO_RULES)]).exit_code == 0
    kept = get_settings().routing_rules_path.read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(DEMO_RULES.read_text().replace("assign_at: 0.30", "asign_at: 0.30"))
    refused = runner.invoke(app, ["routing", "load", str(typo)])
    assert refused.exit_code == 1
    assert "segments[0].asign_at: unknown key (did you mean `assign_at`?)" in refused.output
    assert get_settings().routing_rules_path.read_text() == kept
    shown = runner.invoke(app, ["routing", "show", "--json"])
    assert json.loads(shown.stdout)["segments"][0]["assign_at"] == 0.3
    assert runner.invoke(app, ["routing", "load", str(tmp_path / "nope.yaml")]).exit_code == 1
    assert runner.invoke(app, ["routing", "route"]).exit_code == 2  # neither ids nor --all


def _person_asks(sessions_email: str) -> int:
    """Store a mid-market prospect's form and their request for a person."""
    settings = get_settings()
    engine, sessions = open_database(settings)
    now = datetime.now(UTC)
    form = EventIn(
        event_id="cli-1",
        type="form_submit",
        occurred_at=now,
        email=sessions_email,
        properties={"team_size": "51-200", "country": "US"},
    )
    asks = EventIn(
        event_id="cli-2", type="handoff_requested", occurred_at=now, email=sessions_email
    )
    try:
        with unit_of_work(sessions) as session:
            batch = [form, asks]
            lead_id = ingest_events(session, batch=batch, received_at=now).outcomes[0].lead_id
    finally:
        engine.dispose()
    assert lead_id is not None
    return lead_id


def test_a_lead_with_no_rep_queues_and_loading_a_rep_hands_it_out(runner: CliRunner) -> None:
    assert runner.invoke(app, ["db-upgrade"]).exit_code == 0
    assert runner.invoke(app, ["routing", "load", str(DEMO_RULES)]).exit_code == 0
    lead = _person_asks("jo@buyer.test")
    routed = runner.invoke(app, ["routing", "route", str(lead), "--json"])
    assert routed.exit_code == 0, routed.output
    assert json.loads(routed.stdout) == {"queued": 1}
    queue = json.loads(runner.invoke(app, ["routing", "queue", "--json"]).stdout)
    assert [(q["lead_id"], q["segment"], q["band"]) for q in queue] == [(lead, "mid-market", "hot")]
    reps_file = Path(get_settings().resolved_home) / "reps.yaml"
    reps_file.write_text(ALWAYS_ON)
    assert runner.invoke(app, ["reps", "load", str(reps_file)]).exit_code == 0
    engine, sessions = open_database(get_settings())
    try:
        with sessions() as session:
            assert session.scalars(select(QueuedLead)).all() == []
            offer = session.scalars(select(Assignment)).one()
            actions = set(session.scalars(select(AuditEntry.action)))
    finally:
        engine.dispose()
    assert (offer.lead_id, offer.state, offer.band) == (lead, "offered", "hot")
    assert {"routing.rules_loaded", "route.assign", "route.queued", "route.assigned"} <= actions
