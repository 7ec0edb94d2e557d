"""Reps from a YAML file: checked whole before anything is stored, upserted by email."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from leads.db import make_engine, unit_of_work
from leads.migrate import alembic_config
from leads.models import Account, Assignment, Lead, Meeting
from leads.reps import assigned_rep, calendar_of, list_reps, upsert_reps
from leads.reps_file import InvalidRepsFile, parse_reps, read_reps_file
from tests.leads.intake_factories import NOW

DEMO_REPS = Path(__file__).resolve().parents[2] / "demo" / "reps.yaml"
GOOD = """
reps:
  - name: Ana Lima
    email: Ana@Example.com
    timezone: America/Sao_Paulo
    working_days: [Mon, tue, wednesday]
    working_hours: "08:00-12:00"
  - name: Bo Chen
    email: bo@example.com
"""


def test_the_demo_file_loads_and_gives_each_rep_a_calendar() -> None:
    reps = read_reps_file(DEMO_REPS)
    assert 4 <= len(reps) <= 6
    assert len({r["timezone"] for r in reps}) == len(reps)
    assert all(r["team"] and r["territory"] and r["languages"] for r in reps)
    # Every rep sells to a segment (their team's unless listed); one manages the team.
    assert all(r["segments"] for r in reps)
    assert [r["email"] for r in reps if r["is_manager"]] == ["grace@quillstack.example"]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("reps: [", "is not YAML"),
        ("people: []", "top-level `reps:` list"),
        ("reps:\n  - just a name", "a rep is a mapping"),
        ("reps:\n  - {name: A, email: not-an-email}", "reps[0].email"),
        ("reps:\n  - {name: A, email: a@x.io, timezone: Mars/Base}", "not an IANA time zone"),
        ("reps:\n  - {name: A, email: a@x.io, working_days: [funday]}", "working days"),
        ("reps:\n  - {name: A, email: a@x.io, working_hours: '17:00-09:00'}", "start first"),
        ("reps:\n  - {name: A, email: a@x.io, working_hours: '9-5'}", "HH:MM-HH:MM"),
        ("reps:\n  - {name: A, email: a@x.io, meeting_minutes: 5}", "meeting_minutes"),
        ("reps:\n  - {name: A, email: a@x.io, colour: blue}", "reps[0].colour"),
        (
            "reps:\n  - {name: A, email: a@x.io, working_hours: '09:00-09:30', "
            "meeting_minutes: 45}",
            "longer than the working day",
        ),
        ("reps:\n  - {name: A, email: a@x.io}\n  - {name: B, email: A@x.io}", "more than once"),
    ],
)
def test_a_bad_file_names_its_problem(document: str, problem: str) -> None:
    with pytest.raises(InvalidRepsFile) as caught:
        parse_reps(document)
    assert problem in caught.value.message


def test_every_problem_is_listed_and_nothing_is_half_loaded() -> None:
    document = (
        "reps:\n  - {name: A, email: a@x.io}\n  - {name: B, email: bad}\n"
        "  - {name: C, email: c@x.io, timezone: Nowhere/Land}"
    )
    with pytest.raises(InvalidRepsFile) as caught:
        parse_reps(document)
    assert "nothing loaded" in caught.value.message
    assert "reps[1].email" in caught.value.message
    assert "reps[2].timezone" in caught.value.message


def test_upsert_by_email_is_idempotent(sessions: sessionmaker[Session]) -> None:
    reps = parse_reps(GOOD)
    with unit_of_work(sessions) as session:
        first = upsert_reps(session, reps=reps)
    with unit_of_work(sessions) as session:
        again = upsert_reps(session, reps=reps)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = parse_reps(GOOD.replace("08:00-12:00", "08:00-13:00"))
    with unit_of_work(sessions) as session:
        third = upsert_reps(session, reps=changed)
        rows = list_reps(session)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    ana = rows[0]
    assert (ana.email, ana.work_start, ana.work_end) == ("ana@example.com", "08:00", "13:00")
    assert ana.working_days == ["mon", "tue", "wed"]
    assert calendar_of(ana).zone.key == "America/Sao_Paulo"
    assert rows[1].working_days == ["mon", "tue", "wed", "thu", "fri"]  # the defaults


def test_the_assigned_rep_is_the_assignment_then_the_account_owner_then_the_least_booked(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        upsert_reps(session, reps=parse_reps(GOOD))
        ana, bo = list_reps(session)
        account = Account(domain="acme.test", owner_rep_id=bo.id)
        session.add(account)
        session.flush()
        owned = Lead(email="x@acme.test", account_id=account.id)
        assigned = Lead(email="y@acme.test", account_id=account.id)
        nobody = Lead(email="z@else.test")
        session.add_all([owned, assigned, nobody])
        session.flush()
        session.add(Assignment(lead_id=assigned.id, rep_id=ana.id, state="accepted"))
        session.flush()
        assert assigned_rep(session, lead_id=assigned.id, now=NOW) == ana
        assert assigned_rep(session, lead_id=owned.id, now=NOW) == bo
        # No owner: the fewest upcoming meetings, then the lowest id.
        assert assigned_rep(session, lead_id=nobody.id, now=NOW) == ana
        session.add(Meeting(rep_id=ana.id, starts_at=NOW, ends_at=NOW, status="booked"))
        session.flush()
        assert assigned_rep(session, lead_id=nobody.id, now=NOW) == bo
        assert assigned_rep(session, lead_id=None, now=NOW) == bo


def test_migration_0007_fills_calendars_of_existing_reps_and_goes_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    config = alembic_config(url)
    command.upgrade(config, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reps (name, email, languages, timezone, capacity, active, created_at)"
                " VALUES ('Old Rep', 'old@x.io', '[]', 'UTC', 5, 1, '2026-01-01')"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT working_days, work_start, meeting_minutes FROM reps")).one()
    assert (row.work_start, row.meeting_minutes) == ("09:00", 30)
    assert "mon" in row.working_days
    command.downgrade(config, "0006")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reps")).scalar() == 1
    engine.dispose()
