"""The rep who owns a lead is told it bought: the account owner, else who last accepted it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leads.db import unit_of_work
from leads.models import Notification
from leads.webhooks import add_endpoint
from routing.mail import render_notice
from routing.notices import PURCHASED, purchase_notices
from tests.checkout.factories import NOW, accepted_assignment, make_lead, make_rep, own_account

PURCHASE: dict[str, Any] = {
    "plan_id": "team",
    "plan_name": "Team",
    "period": "annual",
    "quantity": 3,
    "amount": "255",
    "currency": "USD",
    "total": "$255",
    "price_source": "checkout_link",
    "session_id": "cs_77",
}


def _notices(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def _notify(session: Session, lead_id: int, purchase_id: str = "purchase:cs_77") -> list[int]:
    return purchase_notices(
        session, lead_id=lead_id, purchase_id=purchase_id, purchase=PURCHASE, now=NOW
    )


def test_the_account_owner_gets_an_email_and_their_webhooks(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example")
        owner = make_rep(session, name="Olga Owner", email="olga@q.test")
        closer = make_rep(session, name="Carl Closer", email="carl@q.test")
        own_account(session, lead_id=lead_id, rep_id=owner)
        accepted_assignment(session, lead_id=lead_id, rep_id=closer, at=NOW - timedelta(days=1))
        hook = add_endpoint(
            session, url="https://crm.q.test/hook", secret="whsec_x", now=NOW, rep_id=owner
        )
        ids = _notify(session, lead_id)
        notices = _notices(session)
        assert sorted(ids) == [n.id for n in notices]
        assert {(n.event, n.channel, n.target) for n in notices} == {
            (PURCHASED, "email", "olga@q.test"),
            (PURCHASED, "webhook", hook.url),
        }
        payload = notices[0].payload
        assert payload["purchase"] == {"id": "purchase:cs_77", **PURCHASE}
        assert (payload["rep"]["email"], payload["lead"]["email"]) == (
            "olga@q.test",
            "ada@acme.example",
        )
        # The same purchase told twice (a retried request) makes no second notice.
        assert _notify(session, lead_id) == []
        assert len(_notices(session)) == 2


def test_without_an_owner_the_rep_who_last_accepted_the_lead_is_told(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="bo@gmail.com")  # a free mail domain: no account
        earlier = make_rep(session, name="Eve Earlier", email="eve@q.test")
        latest = make_rep(session, name="Lou Latest", email="lou@q.test")
        gone = make_rep(session, name="Gus Gone", email="gus@q.test", active=False)
        accepted_assignment(session, lead_id=lead_id, rep_id=earlier, at=NOW - timedelta(days=9))
        accepted_assignment(session, lead_id=lead_id, rep_id=latest, at=NOW - timedelta(days=2))
        _notify(session, lead_id)
        assert [n.target for n in _notices(session)] == ["lou@q.test"]
        # An inactive owner is skipped for the rep who worked the lead.
        other = make_lead(session, email="cy@acme.example")
        own_account(session, lead_id=other, rep_id=gone)
        accepted_assignment(session, lead_id=other, rep_id=earlier, at=NOW - timedelta(days=1))
        _notify(session, other, purchase_id="purchase:cs_78")
        assert [n.target for n in _notices(session)][-1] == "eve@q.test"


def test_a_lead_nobody_owns_tells_nobody(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="self@serve.example")
        make_rep(session, name="Ann", email="ann@q.test")
        assert _notify(session, lead_id) == []
        assert _notify(session, 12345) == []
        assert _notices(session) == []


def test_the_notice_reads_as_a_purchase(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session, email="ada@acme.example")
        owner = make_rep(session, name="Olga Owner", email="olga@q.test")
        own_account(session, lead_id=lead_id, rep_id=owner)
        [notice_id] = _notify(session, lead_id)
        notice = session.get(Notification, notice_id)
        assert notice is not None
        message = render_notice(
            notification_id=notice.id,
            event=notice.event,
            target=notice.target,
            payload=notice.payload,
            sender="Clinch <clinch@q.test>",
            public_url="https://clinch.q.test",
            at=NOW,
        )
    assert message["Subject"] == "Your lead bought: ada@acme.example — $255"
    body = message.get_content()
    assert body.startswith("Hi Olga Owner,")
    assert "bought Team (annual, 3 seats) for $255, through checkout." in body
    assert "the price is the one their checkout link offered" in body
    assert "Their purchase reference: cs_77" in body
