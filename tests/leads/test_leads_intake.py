"""Event intake on a real SQLite store: idempotency, rejections, identity, touches, consent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads import audit
from leads import events as events_repo
from leads.consents import current_consents
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.identity import find_lead
from leads.intake import ingest_events
from leads.meetings import add_meeting
from leads.models import Assignment, Event, Lead, Meeting, Rep, as_utc
from leads.profiles import get_lead_view
from tests.leads.intake_factories import NOW, ingest, make_event, row_counts


def test_the_same_event_twice_is_stored_once(sessions: sessionmaker[Session]) -> None:
    first = ingest(sessions, make_event("e-1"))
    again = ingest(sessions, make_event("e-1", type="pricing_view"))
    assert first.outcomes[0].status == "accepted"
    assert again.outcomes[0].status == "duplicate"
    assert again.outcomes[0].lead_id == first.outcomes[0].lead_id
    assert again.touched_lead_ids == frozenset()
    with sessions() as session:
        assert events_repo.count_events(session) == 1
        assert session.scalars(select(Event.type)).one() == "page_view"


def test_the_same_event_id_twice_in_one_batch_is_stored_once(
    sessions: sessionmaker[Session],
) -> None:
    result = ingest(sessions, make_event("e-1"), make_event("e-1"), make_event("e-2"))
    assert [o.status for o in result.outcomes] == ["accepted", "duplicate", "accepted"]
    assert result.count("accepted") == 2
    assert result.count("duplicate") == 1
    with sessions() as session:
        assert events_repo.count_events(session) == 2


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (make_event("r-type", type="page_veiw"), "unknown_type"),
        (make_event("r-future", occurred_at=NOW + timedelta(minutes=6)), "bad_timestamp"),
        (make_event("r-old", occurred_at=NOW - timedelta(days=5 * 365 + 1)), "bad_timestamp"),
        (EventIn(event_id="r-anon", type="page_view", occurred_at=NOW), "missing_identity"),
        (make_event("r-lead", lead_id=999_999), "unknown_lead"),
        (make_event("r-big", properties={"blob": "x" * 17_000}), "oversize_properties"),
        (make_event("r-buy", type="purchase", currency="USD"), "purchase_incomplete"),
        (make_event("r-buy2", type="purchase", amount=Decimal(10)), "purchase_incomplete"),
        (
            make_event("r-cur", type="purchase", amount=Decimal(1), currency="US"),
            "invalid_currency",
        ),
        (
            make_event("r-neg", type="purchase", amount=Decimal(-1), currency="USD"),
            "invalid_amount",
        ),
        (make_event("r-mail", email="not-an-email"), "invalid_email"),
        (make_event("r-utm", utm_source="s" * 256), "field_too_long"),
        (make_event("", type="page_view"), "missing_event_id"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.event_id or "empty-id",
)
def test_rejected_events_name_the_rule_and_change_nothing(
    sessions: sessionmaker[Session], event: EventIn, code: str
) -> None:
    ingest(sessions, make_event("seed", email="seed@example.com"))
    before = row_counts(sessions)
    result = ingest(sessions, event)
    outcome = result.outcomes[0]
    assert outcome.status == "rejected"
    assert outcome.reason is not None
    assert outcome.reason.startswith(f"{code}: ")
    assert outcome.lead_id is None
    assert result.touched_lead_ids == frozenset()
    assert row_counts(sessions) == before


def test_a_bad_event_does_not_poison_its_batch(sessions: sessionmaker[Session]) -> None:
    result = ingest(
        sessions,
        make_event("ok-1"),
        make_event("bad", lead_id=424242),
        make_event("ok-2", type="pricing_view"),
    )
    assert [o.status for o in result.outcomes] == ["accepted", "rejected", "accepted"]
    with sessions() as session:
        assert set(session.scalars(select(Event.event_id))) == {"ok-1", "ok-2"}


def test_an_uncommitted_batch_leaves_nothing_behind(sessions: sessionmaker[Session]) -> None:
    # The savepoints must nest inside the request's transaction (pysqlite would otherwise let
    # RELEASE commit the first event on its own).
    before = row_counts(sessions)
    with sessions() as session:
        result = ingest_events(session, batch=[make_event("a"), make_event("b")], received_at=NOW)
        assert result.count("accepted") == 2
        session.rollback()
    assert row_counts(sessions) == before


def test_an_anonymous_visitor_who_gives_an_email_joins_the_known_lead(
    sessions: sessionmaker[Session],
) -> None:
    known = ingest(sessions, make_event("k-1", type="form_submit", email="Dana@Example.com"))
    known_id = known.outcomes[0].lead_id
    visits = ingest(
        sessions,
        make_event("v-1", anonymous_id="anon-9", occurred_at=NOW - timedelta(hours=3)),
        make_event("v-2", type="pricing_view", anonymous_id="anon-9"),
    )
    anon_id = visits.outcomes[0].lead_id
    assert anon_id is not None
    assert anon_id != known_id
    merged = ingest(
        sessions,
        make_event("v-3", type="identify", anonymous_id="anon-9", email="dana@example.com"),
    )
    assert merged.outcomes[0].lead_id == known_id
    assert merged.touched_lead_ids == {known_id, anon_id}
    with sessions() as session:
        assert events_repo.count_events(session, lead_id=anon_id) == 0
        assert events_repo.count_events(session, lead_id=known_id) == 4
        anon = session.get(Lead, anon_id)
        assert anon is not None
        assert anon.merged_into_id == known_id
        assert anon.status == "merged"
        found = find_lead(session, kind="anonymous_id", value="anon-9")
        assert found is not None
        assert found.id == known_id
        entries = audit.entries_for(session, subject_type="lead", subject_id=str(anon_id))
        assert [(e.action, e.detail["into"]) for e in entries] == [("lead.merged", known_id)]
        assert known_id is not None
        view = get_lead_view(session, lead_id=known_id)
        assert {(i.kind, i.value) for i in view.identities} == {
            ("email", "dana@example.com"),
            ("anonymous_id", "anon-9"),
        }
        # The earliest visit was the anonymous one: it becomes the first touch.
        assert view.first_touch is not None
        assert view.first_touch.at == NOW - timedelta(hours=3)
    later = ingest(sessions, make_event("v-4", anonymous_id="anon-9"))
    assert later.outcomes[0].lead_id == known_id


def test_an_anonymous_visitor_gains_the_email_when_no_lead_has_it(
    sessions: sessionmaker[Session],
) -> None:
    first = ingest(sessions, make_event("a-1", anonymous_id="anon-2"))
    second = ingest(
        sessions, make_event("a-2", type="identify", anonymous_id="anon-2", email="Lee@Ex.io")
    )
    assert second.outcomes[0].lead_id == first.outcomes[0].lead_id
    with sessions() as session:
        lead = session.get(Lead, first.outcomes[0].lead_id)
        assert lead is not None
        assert lead.email == "lee@ex.io"
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_first_and_last_touch_and_channels(sessions: sessionmaker[Session]) -> None:
    hour = timedelta(hours=1)
    result = ingest(
        sessions,
        make_event(
            "t-2",
            referrer="https://www.google.com/search?q=clinch",
            occurred_at=NOW - 4 * hour,
        ),
        make_event(
            "t-1",
            utm_source="google",
            utm_medium="cpc",
            utm_campaign="brand",
            occurred_at=NOW - 5 * hour,
        ),
        make_event("t-3", utm_source="newsletter", utm_medium="email", occurred_at=NOW - 2 * hour),
        make_event("t-4", occurred_at=NOW - hour),
        make_event("t-5", referrer="https://news.ycombinator.com/item?id=1", occurred_at=NOW),
        make_event("t-6", referrer="https://blog.example.org/post", occurred_at=NOW - 3 * hour),
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    with sessions() as session:
        rows = session.execute(select(Event.event_id, Event.channel))
        channels = {row.event_id: row.channel for row in rows}
        assert channels == {
            "t-1": "paid_search",
            "t-2": "organic_search",
            "t-3": "email",
            "t-4": "direct",
            "t-5": "social",
            "t-6": "referral",
        }
        view = get_lead_view(session, lead_id=lead_id)
    assert view.first_touch is not None
    assert (view.first_touch.channel, view.first_touch.campaign) == ("paid_search", "brand")
    assert view.first_touch.at == NOW - 5 * hour
    assert view.last_touch is not None
    assert view.last_touch.channel == "social"
    assert view.last_seen_at == NOW
    assert [e.event_id for e in view.events] == ["t-5", "t-4", "t-3", "t-6", "t-2", "t-1"]


def test_a_direct_visit_does_not_replace_the_last_campaign(
    sessions: sessionmaker[Session],
) -> None:
    result = ingest(
        sessions,
        make_event(
            "c-1", utm_source="li", utm_medium="paid_social", occurred_at=NOW - timedelta(2)
        ),
        make_event("c-2", occurred_at=NOW - timedelta(1)),
    )
    with sessions() as session:
        lead = session.get(Lead, result.outcomes[0].lead_id)
        assert lead is not None
        assert lead.last_touch_channel == "paid_social"
        assert lead.last_seen_at is not None
        assert as_utc(lead.last_seen_at) == NOW - timedelta(1)


def test_consent_latest_per_purpose_wins(sessions: sessionmaker[Session]) -> None:
    day = timedelta(days=1)
    email = {"email": "ana@example.com"}
    result = ingest(
        sessions,
        make_event("k-3", "consent_given", occurred_at=NOW - day, **email),
        make_event(
            "k-1",
            "consent_given",
            occurred_at=NOW - 3 * day,
            properties={"purpose": "sales_calls"},
            **email,
        ),
        # Arrives last but happened first: it must not override the later grant.
        make_event("k-0", "consent_withdrawn", occurred_at=NOW - 4 * day, **email),
        make_event(
            "k-2",
            "consent_withdrawn",
            occurred_at=NOW - 2 * day,
            properties={"purpose": "sales_calls", "source": "preference_center"},
            **email,
        ),
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    with sessions() as session:
        assert current_consents(session, lead_id=lead_id) == {
            "marketing": True,
            "sales_calls": False,
        }
    ingest(sessions, make_event("k-4", "unsubscribe", occurred_at=NOW, **email))
    with sessions() as session:
        assert current_consents(session, lead_id=lead_id)["marketing"] is False


def test_purchase_keeps_amount_currency_plan_and_period(sessions: sessionmaker[Session]) -> None:
    ingest(
        sessions,
        make_event(
            "p-1",
            "purchase",
            email="buyer@example.com",
            amount=Decimal("1234.50"),
            currency="eur",
            plan="team",
            period="year",
            properties={"seats": 12},
        ),
    )
    with sessions() as session:
        event = events_repo.find_event(session, event_id="p-1")
        assert event is not None
        assert event.amount == Decimal("1234.50")
        assert (event.currency, event.plan, event.period) == ("EUR", "team", "year")
        assert event.properties == {"seats": 12}


def test_identify_fills_the_lead_profile(sessions: sessionmaker[Session]) -> None:
    result = ingest(
        sessions,
        make_event(
            "i-1",
            "identify",
            email="sam@acme.test",
            properties={"name": "Sam", "company": "Acme", "team_size": "11-50", "x": 1},
        ),
    )
    with sessions() as session:
        view = get_lead_view(session, lead_id=result.outcomes[0].lead_id or 0)
    assert (view.name, view.company, view.team_size) == ("Sam", "Acme", "11-50")
    assert view.score is None


def test_events_by_lead_id_go_to_that_lead(sessions: sessionmaker[Session]) -> None:
    lead_id = ingest(sessions, make_event("l-1", email="kim@example.com")).outcomes[0].lead_id
    result = ingest(sessions, make_event("l-2", lead_id=lead_id))
    assert result.outcomes[0].lead_id == lead_id
    conflict = ingest(sessions, make_event("l-3", lead_id=lead_id, email="other@example.com"))
    assert conflict.outcomes[0].status == "accepted"
    clash = ingest(sessions, make_event("l-4", email="x@example.com"))
    bad = ingest(sessions, make_event("l-5", lead_id=lead_id, email="x@example.com"))
    assert clash.outcomes[0].status == "accepted"
    assert bad.outcomes[0].status == "rejected"
    assert (bad.outcomes[0].reason or "").startswith("identity_conflict: ")


def test_a_stored_event_sent_again_later_is_a_duplicate_not_a_rejection(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, make_event("late", occurred_at=NOW - timedelta(days=5 * 365 - 1)))
    with unit_of_work(sessions) as session:
        result = ingest_events(
            session, batch=[make_event("late")], received_at=NOW + timedelta(days=2)
        )
    assert result.outcomes[0].status == "duplicate"


def test_an_event_for_a_merged_lead_goes_to_the_lead_that_absorbed_it(
    sessions: sessionmaker[Session],
) -> None:
    known = ingest(sessions, make_event("x-1", email="eve@example.com")).outcomes[0].lead_id
    anon = ingest(sessions, make_event("x-2", anonymous_id="anon-x")).outcomes[0].lead_id
    ingest(sessions, make_event("x-3", anonymous_id="anon-x", email="eve@example.com"))
    result = ingest(sessions, make_event("x-4", lead_id=anon))
    assert result.outcomes[0].lead_id == known
    with sessions() as session:
        view = get_lead_view(session, lead_id=anon or 0)
    assert (view.status, view.merged_into_id, view.events) == ("merged", known, ())


def test_a_merge_moves_the_visitors_meetings_and_assignments_too(
    sessions: sessionmaker[Session],
) -> None:
    known = ingest(sessions, make_event("mk-1", type="form_submit", email="lee@example.com"))
    visit = ingest(sessions, make_event("mv-1", anonymous_id="anon-m"))
    known_id, anon_id = known.outcomes[0].lead_id, visit.outcomes[0].lead_id
    assert known_id is not None
    assert anon_id is not None
    with unit_of_work(sessions) as session:
        rep = Rep(name="Ana Ruiz", email="ana@quillstack.example")
        session.add(rep)
        session.flush()
        session.add(Assignment(lead_id=anon_id, rep_id=rep.id))
        add_meeting(
            session,
            rep_id=rep.id,
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, minutes=30),
            lead_id=anon_id,
            conversation_id=None,
        )

    ingest(
        sessions,
        make_event("mv-2", type="identify", anonymous_id="anon-m", email="lee@example.com"),
    )

    with sessions() as session:
        meetings = session.scalars(select(Meeting)).all()
        assignments = session.scalars(select(Assignment)).all()
    assert [m.lead_id for m in meetings] == [known_id]
    assert [a.lead_id for a in assignments] == [known_id]
