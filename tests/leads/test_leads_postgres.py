"""The lead store and event intake on a real PostgreSQL server."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from leads import events as events_repo
from leads.consents import current_consents
from leads.db import make_engine, unit_of_work
from leads.event_rules import EventIn
from leads.intake import EventOutcome, ingest_events
from leads.migrate import alembic_config
from leads.models import Account, Base, Event, Lead
from leads.profiles import get_lead_view
from tests.leads.intake_factories import NOW, ingest, make_event, row_counts

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]


def test_migrations_match_the_models_and_go_down(pg_url: str) -> None:
    command.upgrade(alembic_config(pg_url), "head")
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert {"leads", "events", "lead_identities", "consents", "audit_log"} <= set(
        inspect(engine).get_table_names()
    )
    command.downgrade(alembic_config(pg_url), "0003")
    assert "leads" not in inspect(engine).get_table_names()
    engine.dispose()


def test_intake_is_idempotent(pg_sessions: sessionmaker[Session]) -> None:
    first = ingest(pg_sessions, make_event("e-1"), make_event("e-1"), make_event("e-2"))
    again = ingest(pg_sessions, make_event("e-1"), make_event("e-2"))
    assert [o.status for o in first.outcomes] == ["accepted", "duplicate", "accepted"]
    assert [o.status for o in again.outcomes] == ["duplicate", "duplicate"]
    with pg_sessions() as session:
        assert events_repo.count_events(session) == 2


def test_rejected_events_change_nothing(pg_sessions: sessionmaker[Session]) -> None:
    ingest(pg_sessions, make_event("seed", email="seed@example.com"))
    before = row_counts(pg_sessions)
    result = ingest(
        pg_sessions,
        make_event("r-1", type="nope"),
        make_event("r-2", lead_id=123_456),
        make_event("r-3", type="purchase"),
        make_event("r-4", properties={"blob": "x" * 17_000}),
        make_event("r-5", occurred_at=NOW + timedelta(hours=1)),
        make_event("r-6", utm_campaign="c" * 300),
        make_event("r-7", utm_source="nul\x00byte"),
    )
    assert {o.status for o in result.outcomes} == {"rejected"}
    assert row_counts(pg_sessions) == before


def test_an_uncommitted_batch_leaves_nothing_behind(pg_sessions: sessionmaker[Session]) -> None:
    before = row_counts(pg_sessions)
    with pg_sessions() as session:
        result = ingest_events(session, batch=[make_event("a"), make_event("b")], received_at=NOW)
        assert result.count("accepted") == 2
        session.rollback()
    assert row_counts(pg_sessions) == before


def test_anonymous_visitor_merges_into_the_email_lead(pg_sessions: sessionmaker[Session]) -> None:
    known_id = ingest(pg_sessions, make_event("k-1", email="dana@example.com")).outcomes[0].lead_id
    anon_id = ingest(pg_sessions, make_event("v-1", anonymous_id="anon-9")).outcomes[0].lead_id
    merged = ingest(
        pg_sessions,
        make_event("v-2", "identify", anonymous_id="anon-9", email="DANA@example.com"),
    )
    assert merged.outcomes[0].lead_id == known_id
    assert merged.touched_lead_ids == {known_id, anon_id}
    with pg_sessions() as session:
        assert events_repo.count_events(session, lead_id=known_id) == 3
        anon = session.get(Lead, anon_id)
        assert anon is not None
        assert anon.merged_into_id == known_id
        view = get_lead_view(session, lead_id=known_id or 0)
        assert {i.kind for i in view.identities} == {"email", "anonymous_id"}


def test_purchase_touches_and_consent(pg_sessions: sessionmaker[Session]) -> None:
    who = {"email": "buyer@example.com"}
    result = ingest(
        pg_sessions,
        make_event(
            "p-0", utm_source="google", utm_medium="cpc", occurred_at=NOW - timedelta(days=3), **who
        ),
        make_event(
            "p-1",
            "purchase",
            amount=Decimal("1234.5"),
            currency="usd",
            plan="team",
            period="year",
            **who,
        ),
        make_event("p-2", "consent_given", occurred_at=NOW - timedelta(days=2), **who),
        make_event("p-3", "consent_withdrawn", occurred_at=NOW - timedelta(days=1), **who),
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    with pg_sessions() as session:
        event = events_repo.find_event(session, event_id="p-1")
        assert event is not None
        assert (event.amount, event.currency, event.plan, event.period) == (
            Decimal("1234.5"),
            "USD",
            "team",
            "year",
        )
        assert current_consents(session, lead_id=lead_id) == {"marketing": False}
        view = get_lead_view(session, lead_id=lead_id)
        assert view.first_touch is not None
        assert view.first_touch.channel == "paid_search"
        assert view.first_touch.at == NOW - timedelta(days=3)


def _race(
    sessions: sessionmaker[Session], first_event: EventIn, second_event: EventIn
) -> tuple[EventOutcome, EventOutcome]:
    """Ingest two events in overlapping transactions; the second waits on the first's locks."""
    seconds: list[EventOutcome] = []

    def second() -> None:
        with unit_of_work(sessions) as session:
            result = ingest_events(session, batch=[second_event], received_at=NOW)
            seconds.extend(result.outcomes)

    with unit_of_work(sessions) as session:
        first = ingest_events(session, batch=[first_event], received_at=NOW)
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)
    racer.join(timeout=30)
    assert len(seconds) == 1
    return first.outcomes[0], seconds[0]


def test_two_new_events_of_one_new_email_make_one_lead(
    pg_sessions: sessionmaker[Session],
) -> None:
    first, second = _race(
        pg_sessions, make_event("n-1", email="new@x.io"), make_event("n-2", email="new@x.io")
    )
    assert (first.status, second.status) == ("accepted", "accepted")
    assert first.lead_id == second.lead_id
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 2
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_concurrent_duplicates_are_stored_once(pg_sessions: sessionmaker[Session]) -> None:
    # The second insert waits on the unique indexes, then fails when the first commits: it must
    # answer duplicate, not 500 and not a second row.
    first, second = _race(
        pg_sessions, make_event("race", email="r@x.io"), make_event("race", email="r@x.io")
    )
    assert (first.status, second.status) == ("accepted", "duplicate")
    assert second.lead_id == first.lead_id
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_two_new_leads_of_one_new_company_make_one_account(
    pg_sessions: sessionmaker[Session],
) -> None:
    one, other = make_event("d-1", email="a@initech.io"), make_event("d-2", email="b@initech.io")
    first, second = _race(pg_sessions, one, other)
    assert (first.status, second.status) == ("accepted", "accepted")
    with pg_sessions() as session:
        (account,) = session.scalars(select(Account)).all()
        linked = session.scalars(select(Lead.account_id)).all()
    assert account.domain == "initech.io"
    assert linked == [account.id, account.id]
