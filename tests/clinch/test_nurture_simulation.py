"""Three simulated weeks of the demo's nurture on the real engine and mailer, checked throughout.

The demo's own sequences, templates and catalog; simulated leads through the real intake; the
router's nurture decisions stood in for by decision rows. What must hold whatever the answers:
every delivered send is one outbox file, no lead gets more than the weekly cap, no email goes
out in the lead's quiet hours, nothing reaches a lead after it unsubscribed, and a purchase made
through checkout ends the enrollment as converted with the lead a customer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checkout.catalog_loader import load_catalog
from clinch.nurture_config import nurture_config
from clinch.nurture_delivery import NurtureMailClients
from clinch.nurture_simulation import simulate_nurture
from clinch.settings import Settings
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.models import Event, Lead, RoutingDecision
from leads.nurture_models import Enrollment, NurtureSend
from nurture import sequences
from nurture.schedule import is_quiet, lead_zone_name, zone
from nurture.sequence_file import read_sequence_text
from nurture.template_file import parse_template_library
from nurture.templates import save_templates
from tests.simulated_store import fill_store

DEMO = Path(__file__).resolve().parents[2] / "demo"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAYS = 21

pytestmark = pytest.mark.slow


def _load_demo(sessions: sessionmaker[Session]) -> None:
    catalog = load_catalog(DEMO / "pricing.yaml")
    with sessions.begin() as session:
        text = (DEMO / "nurture" / "templates.yaml").read_text()
        save_templates(session, parse_template_library(text, catalog=catalog), actor="test", at=NOW)
        for path in sorted((DEMO / "nurture").glob("*-*.yaml")):
            data = yaml.safe_load(read_sequence_text(path))
            parsed = sequences.check(session, data, source=str(path))
            sequences.save_sequence(session, parsed, source=str(path), actor="test", at=NOW)


def _route_all_to(sessions: sessionmaker[Session], key: str) -> None:
    with sessions.begin() as session:
        for lead_id in session.scalars(select(Lead.id).where(Lead.email.is_not(None))):
            session.add(
                RoutingDecision(
                    lead_id=lead_id, action="nurture", sequence=key, reasons=[], rules_version="t"
                )
            )


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[sessionmaker[Session], Path]:
    home = tmp_path_factory.mktemp("nurture-sim")
    url = f"sqlite:///{home / 'clinch.sqlite'}"
    upgrade(url)
    sessions = make_session_factory(make_engine(url))
    fill_store(sessions, leads=400, seed=11, end=NOW - timedelta(days=DAYS + 1))
    _load_demo(sessions)
    _route_all_to(sessions, "self-serve-onboarding")
    settings = Settings(home=home, _env_file=None)
    catalog = load_catalog(DEMO / "pricing.yaml")
    mail = NurtureMailClients(settings, sessions=sessions, catalog=catalog)
    result = simulate_nurture(
        sessions,
        mail=mail,
        config=nurture_config(settings),
        catalog=catalog,
        signing_key=settings.signing_key(),
        now=NOW,
        days=DAYS,
        seed=3,
    )
    assert result.enrolled > 0
    assert result.sent > 0
    assert result.answers.get("email_clicked", 0) > 0
    return sessions, home / "outbox" / "nurture"


def test_every_delivered_send_is_one_outbox_file(
    simulated: tuple[sessionmaker[Session], Path],
) -> None:
    sessions, outbox = simulated
    with sessions() as session:
        sent = session.scalars(select(NurtureSend.id).where(NurtureSend.status == "sent")).all()
    assert sorted(p.name for p in outbox.glob("nurture-*.eml")) == sorted(
        f"nurture-{i}.eml" for i in sent
    )


def test_no_lead_gets_more_than_the_weekly_cap_or_mail_in_its_quiet_hours(
    simulated: tuple[sessionmaker[Session], Path],
) -> None:
    sessions, _ = simulated
    config = nurture_config(Settings(_env_file=None))
    by_lead: dict[int, list[datetime]] = defaultdict(list)
    with sessions() as session:
        rows = session.execute(
            select(NurtureSend.lead_id, NurtureSend.sent_at, Lead.timezone, Lead.country)
            .join(Lead, Lead.id == NurtureSend.lead_id)
            .where(NurtureSend.status == "sent")
        ).all()
    for lead_id, sent_at, timezone, country in rows:
        assert sent_at is not None
        at = sent_at.replace(tzinfo=UTC)
        by_lead[lead_id].append(at)
        tz = zone(lead_zone_name(timezone=timezone, country=country, default="UTC"))
        assert not is_quiet(at, tz=tz, start=config.quiet_start, end=config.quiet_end), (
            f"lead {lead_id} was mailed at {at.astimezone(tz)} local time"
        )
    for lead_id, times in by_lead.items():
        times.sort()
        for i, first in enumerate(times):
            in_week = [t for t in times[i:] if t < first + timedelta(days=7)]
            assert len(in_week) <= config.max_emails_per_week, f"lead {lead_id}: {times}"


def test_nothing_reaches_a_lead_after_it_unsubscribed(
    simulated: tuple[sessionmaker[Session], Path],
) -> None:
    sessions, _ = simulated
    with sessions() as session:
        unsubscribed = session.execute(
            select(Event.lead_id, Event.occurred_at).where(Event.type == "unsubscribe")
        ).all()
        for lead_id, at in unsubscribed:
            later = session.scalars(
                select(NurtureSend.id).where(
                    NurtureSend.lead_id == lead_id,
                    NurtureSend.status == "sent",
                    NurtureSend.sent_at > at,
                )
            ).all()
            assert later == [], f"lead {lead_id} was mailed after unsubscribing at {at}"
            statuses = session.scalars(
                select(Enrollment.status).where(Enrollment.lead_id == lead_id)
            ).all()
            assert "active" not in statuses


def test_a_purchase_through_checkout_converts_the_enrollment_and_the_lead(
    simulated: tuple[sessionmaker[Session], Path],
) -> None:
    sessions, _ = simulated
    with sessions() as session:
        buyers = session.scalars(
            select(Event.lead_id).where(
                Event.type == "purchase", Event.occurred_at > NOW - timedelta(days=DAYS)
            )
        ).all()
        assert buyers, "the seeded answers include purchases"
        for lead_id in buyers:
            lead = session.get(Lead, lead_id)
            assert lead is not None
            assert lead.status == "customer"
            enrollment = session.scalars(
                select(Enrollment).where(Enrollment.lead_id == lead_id)
            ).one()
            assert (enrollment.status, enrollment.exit_reason) == ("converted", "purchase")
