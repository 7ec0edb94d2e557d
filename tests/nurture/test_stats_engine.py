"""The funnel and the A/B results of what the real engine did: enroll, ticks, sends, a click."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.nurture_models import NurtureSend
from nurture import stats
from nurture.config import NurtureConfig
from nurture.enrollments import enroll
from nurture.links import Click
from nurture.sending import record_send
from nurture.tick import Versions, run_batch
from nurture.tracking import record_click
from tests.nurture.factories_stats import AT, add_templates, prospect, save

CONFIG = NurtureConfig(public_url="http://clinch.test", company_name="Acme", sender="hi@acme.test")
LEADS = 8


def _tick(sessions: sessionmaker[Session], versions: Versions, now: datetime) -> None:
    """Run the due enrollments, then deliver what they wrote (as the mail worker records it)."""
    with unit_of_work(sessions) as session:
        run_batch(session, config=CONFIG, now=now, size=100, versions=versions)
    with unit_of_work(sessions) as session:
        pending = session.scalars(select(NurtureSend.id).where(NurtureSend.status == "pending"))
        for send_id in list(pending):
            record_send(
                session, send_id=send_id, ok=True, error=None, now=now, backoff_seconds=(60,)
            )


def test_the_funnel_counts_what_the_engine_and_the_mailer_did(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        save(session)
        leads = [prospect(session, email=f"run{i}@engine.example") for i in range(LEADS)]
        for lead in leads:
            enroll(session, lead_id=lead, sequence_key="ab", at=AT)
    versions: Versions = {}
    _tick(sessions, versions, AT)
    with unit_of_work(sessions) as session:
        first = session.scalars(select(NurtureSend).order_by(NurtureSend.id)).first()
        assert first is not None
        record_click(session, click=Click(first.id, "https://acme.test/pricing"), now=AT)
        # One lead withdraws consent while waiting: the next run ends their enrollment.
        withdrawn = EventIn(
            event_id="engine-withdraw",
            type="consent_withdrawn",
            occurred_at=AT + timedelta(hours=1),
            lead_id=leads[-1],
            properties={"purpose": "marketing"},
        )
        ingest_events(session, batch=[withdrawn], received_at=AT + timedelta(hours=1))
    _tick(sessions, versions, AT + timedelta(days=2, minutes=1))
    _tick(sessions, versions, AT + timedelta(days=3))
    with unit_of_work(sessions) as session:
        funnel = stats.funnel(session, key="ab")
        (split,) = stats.ab_results(session, key="ab")
    steps = {s.step_id: s for s in funnel.steps}
    welcome, pause, test = steps["welcome"], steps["pause"], steps["offer-test"]
    assert (welcome.entered, welcome.sent, welcome.clicked) == (LEADS, LEADS, 1)
    assert (pause.entered, pause.exited, pause.waiting) == (LEADS, 1, 0)
    assert test.entered == LEADS - 1
    assert steps["offer-a"].sent + steps["offer-b"].sent == LEADS - 1
    assert steps["offer-a"].entered == steps["offer-a"].sent
    assert steps["done"].completed == LEADS - 1
    assert (funnel.enrolled, funnel.completed, funnel.exited, funnel.active) == (LEADS, 7, 1, 0)
    assert sum(arm.enrolled for arm in split.arms) == LEADS - 1
    # The one click was on a welcome, before the split: no arm's click.
    assert sum(arm.clicked.count for arm in split.arms) == 0
    assert split.verdict.outcome == "not_yet"
    assert split.verdict.reason.startswith("too few leads")
