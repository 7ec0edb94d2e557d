"""The dry-run: the engine's own steps on a simulated clock, for real leads, writing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.errors import LeadNotFound
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog
from nurture.config import NurtureConfig
from nurture.dry_run import dry_run, sample_leads
from tests.nurture.factories_stats import AT, prospect, save

CONFIG = NurtureConfig(public_url="http://clinch.test", company_name="Acme", sender="hi@acme.test")


def _rows(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Enrollment, NurtureSend, NurtureStepLog)
    )


def _leads(session: Session) -> dict[str, int]:
    leads = {f"berlin{i}": prospect(session, email=f"berlin{i}@dry.example") for i in range(6)}
    leads["silent"] = prospect(session, email="silent@dry.example", consent=None)
    # 12:00 UTC is 21:00 in Tokyo: quiet hours until 08:00 there (23:00 UTC).
    leads["tokyo"] = prospect(session, email="tokyo@dry.example", timezone="Asia/Tokyo")
    return leads


def test_a_dry_run_walks_each_lead_through_the_sequence_and_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        save(session)
        leads = _leads(session)
        before = _rows(session)
        result = dry_run(
            session, key="ab", now=AT, config=CONFIG, days=5, lead_ids=list(leads.values())
        )
        assert _rows(session) == before == (0, 0, 0)
    assert (result.key, result.version, result.sampled, result.days) == ("ab", 1, 8, 5)
    assert result.outcomes == {"completed": 7, "exited": 1}
    assert result.exit_reasons == {"completed": 7, "no_consent": 1}
    assert result.emails == 14  # a welcome and one offer each for the seven who consented
    steps = {s.step_id: s for s in result.steps}
    assert steps["welcome"].counts["sent"] == 7
    assert steps["welcome"].counts["quiet"] == 1
    assert steps["welcome"].first_send_at == AT
    assert steps["offer-a"].counts["sent"] + steps["offer-b"].counts["sent"] == 7
    assert steps["offer-test"].counts["entered"] == 7
    assert steps["offer-a"].median_send_day == pytest.approx(2.0, abs=0.5)
    assert steps["done"].counts["completed"] == 7
    assert sum(result.emails_by_day) == 14
    assert result.emails_by_day[:3] == (7, 0, 7)
    paths = {p.lead_id: p for p in result.leads}
    silent = paths[leads["silent"]]
    assert (silent.status, silent.exit_reason, silent.emails) == ("exited", "no_consent", 0)
    tokyo = paths[leads["tokyo"]]
    sent = [e for e in tokyo.entries if e.kind == "sent"]
    assert sent[0].at == AT.replace(hour=23)  # 08:00 in Tokyo
    assert [e.kind for e in tokyo.entries][:2] == ["entered", "quiet"]
    berlin = paths[leads["berlin0"]]
    assert [(e.step_id, e.kind) for e in berlin.entries][:4] == [
        ("welcome", "entered"),
        ("welcome", "sent"),
        ("pause", "entered"),
        ("offer-test", "entered"),
    ]
    assert berlin.entries[3].at == AT + timedelta(days=2)


def test_a_short_window_leaves_leads_waiting_and_the_cap_holds_emails_back(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        save(session)
        lead = prospect(session, email="capped@dry.example")
        short = dry_run(session, key="ab", now=AT, config=CONFIG, days=1, lead_ids=[lead])
        one_a_week = NurtureConfig(
            public_url="http://clinch.test",
            company_name="Acme",
            sender="hi@acme.test",
            max_emails_per_week=1,
        )
        capped = dry_run(session, key="ab", now=AT, config=one_a_week, days=10, lead_ids=[lead])
    (waiting,) = short.leads
    assert (waiting.status, waiting.step_id, waiting.emails) == ("active", "pause", 1)
    assert short.outcomes == {"active": 1}
    (path,) = capped.leads
    assert [e.kind for e in path.entries].count("capped") == 1
    sends = [e.at for e in path.entries if e.kind == "sent"]
    assert sends[1] >= AT + timedelta(days=7)  # the offer waits for the week to pass
    assert path.status == "completed"


def test_a_random_sample_is_reproducible_and_unknown_leads_are_refused(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        save(session)
        leads = _leads(session)
        first = sample_leads(session, size=3, lead_ids=None, seed=7)
        again = sample_leads(session, size=3, lead_ids=None, seed=7)
        everyone = sample_leads(session, size=500, lead_ids=None, seed=None)
        result = dry_run(session, key="ab", now=AT, config=CONFIG, sample=4, seed=1)
        with pytest.raises(LeadNotFound, match="no lead has id 999"):
            dry_run(session, key="ab", now=AT, config=CONFIG, lead_ids=[leads["silent"], 999])
    assert first == again
    assert len(set(first)) == 3
    assert set(first) <= set(leads.values())
    assert sorted(everyone) == sorted(leads.values())
    assert result.sampled == 4
