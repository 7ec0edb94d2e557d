"""`clinch webhooks add / list / remove` and `clinch notifications list / retry` on a real home."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clinch.cli import app
from clinch.settings import get_settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.models import Notification
from routing.delivery import claim, record_result
from routing.service import route_lead
from tests.routing.factories import MONDAY, loaded, make_lead

DEMO_REPS = Path(__file__).resolve().parents[2] / "demo" / "reps.yaml"
DANA = "dana@quillstack.example"
HOOK = "https://hooks.example.test/clinch"


@pytest.fixture
def runner(home: Path) -> CliRunner:
    del home
    return CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _hooks(runner: CliRunner, *extra: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["webhooks", "list", "--json", *extra])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://hooks.example.test/x", "--rep", DANA], "http:// or https://"),
        (["hooks.example.test/x", "--rep", DANA], "http:// or https://"),
        (["https://:8080/x", "--team", "mid-market"], "with a host"),
        ([HOOK, "--rep", DANA, "--team", "mid-market"], "exactly one of --rep EMAIL or --team"),
        ([HOOK], "exactly one of --rep EMAIL or --team"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(
    runner: CliRunner, home: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["webhooks", "add", *args])
    assert result.exit_code == 2
    assert message in _flat(result.stderr)
    assert not home.exists()  # not even the database was opened


def test_webhooks_are_added_for_a_rep_or_a_team_listed_without_secrets_and_removed(
    runner: CliRunner,
) -> None:
    assert runner.invoke(app, ["reps", "load", str(DEMO_REPS)]).exit_code == 0
    made = runner.invoke(app, ["webhooks", "add", HOOK, "--rep", DANA.upper(), "--json"])
    assert made.exit_code == 0, made.output
    added = json.loads(made.stdout)
    assert (added["id"], added["rep"], added["team"]) == (1, DANA, None)
    assert added["secret"].startswith("whsec_")
    shown = runner.invoke(app, ["webhooks", "add", f"{HOOK}/team", "--team", "mid-market"])
    assert shown.exit_code == 0, shown.output
    assert "webhook 2 posts the lead notices of team mid-market" in _flat(shown.stdout)
    assert "whsec_" in shown.stdout  # printed once, here
    rows = _hooks(runner)
    assert [(r["id"], r["rep"], r["team"], r["url"]) for r in rows] == [
        (1, DANA, None, HOOK),
        (2, None, "mid-market", f"{HOOK}/team"),
    ]
    listed = runner.invoke(app, ["webhooks", "list"])
    assert "whsec_" not in listed.stdout + json.dumps(rows)
    assert added["secret"] not in listed.stdout
    removed = runner.invoke(app, ["webhooks", "remove", "1"])
    assert removed.exit_code == 0
    assert "webhook 1 removed" in removed.stdout
    assert [r["id"] for r in _hooks(runner)] == [2]
    assert [(r["id"], r["active"]) for r in _hooks(runner, "--all")] == [(1, False), (2, True)]
    again = runner.invoke(app, ["webhooks", "remove", "1"])
    assert "was already removed" in again.stdout
    unknown = runner.invoke(app, ["webhooks", "remove", "99"])
    assert unknown.exit_code == 1
    assert "no webhook with id 99" in _flat(unknown.stderr)


def test_an_unknown_rep_or_team_exits_1_and_writes_nothing(runner: CliRunner) -> None:
    assert runner.invoke(app, ["reps", "load", str(DEMO_REPS)]).exit_code == 0
    rep = runner.invoke(app, ["webhooks", "add", HOOK, "--rep", "who@nowhere.test"])
    assert rep.exit_code == 1
    assert "no rep with email 'who@nowhere.test'" in _flat(rep.stderr)
    team = runner.invoke(app, ["webhooks", "add", HOOK, "--team", "pirates"])
    assert team.exit_code == 1
    assert "no rep is in team 'pirates'; teams: enterprise, mid-market, self-serve" in _flat(
        team.stderr
    )
    assert _hooks(runner, "--all") == []


def _dead_notice() -> int:
    """Route an enterprise lead to Dana (who has a webhook) and let its post fail for good."""
    engine, sessions = open_database(get_settings())
    try:
        with unit_of_work(sessions) as session:
            lead = make_lead(session, email="cio@big.test", probability=0.9, team_size="1000+")
            routed = route_lead(session, lead_id=lead, rules=loaded(), now=MONDAY)
            query = select(Notification.id).where(
                Notification.id.in_(routed.notices), Notification.channel == "webhook"
            )
            notice = session.scalars(query).one()
        with unit_of_work(sessions) as session:
            assert claim(session, notification_id=notice, now=MONDAY, lease_s=30) is not None
        with unit_of_work(sessions) as session:
            later = MONDAY + timedelta(seconds=1)
            failed = f"HTTP 500 from {HOOK}"
            record_result(
                session,
                notification_id=notice,
                ok=False,
                error=failed,
                now=later,
                backoff_seconds=[],
            )
    finally:
        engine.dispose()
    return notice


def test_dead_notifications_are_listed_and_retried_by_hand(runner: CliRunner) -> None:
    assert runner.invoke(app, ["reps", "load", str(DEMO_REPS)]).exit_code == 0
    assert runner.invoke(app, ["webhooks", "add", HOOK, "--rep", DANA]).exit_code == 0
    notice = _dead_notice()
    dead = runner.invoke(app, ["notifications", "list", "--status", "dead", "--json"])
    assert dead.exit_code == 0, dead.output
    [row] = json.loads(dead.stdout)
    assert (row["id"], row["status"], row["attempts"]) == (notice, "dead", 1)
    assert row["last_error"] == f"HTTP 500 from {HOOK}"
    table = runner.invoke(app, ["notifications", "list"])
    assert "dead" in table.stdout
    retried = runner.invoke(app, ["notifications", "retry", str(notice)])
    assert retried.exit_code == 0, retried.output
    assert f"notification {notice} is pending again" in _flat(retried.stdout)
    pending = runner.invoke(app, ["notifications", "list", "--status", "pending", "--json"])
    assert notice in [r["id"] for r in json.loads(pending.stdout)]
    twice = runner.invoke(app, ["notifications", "retry", str(notice)])
    assert twice.exit_code == 1
    assert "is pending, not dead" in _flat(twice.stderr)
    bad = runner.invoke(app, ["notifications", "list", "--status", "lost"])
    assert bad.exit_code == 2
