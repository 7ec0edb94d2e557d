"""Two workers claiming the same sends on a real PostgreSQL server: each send is taken once."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_delivery import NurtureMailClients, deliver_sends, outbox_name
from clinch.settings import Settings
from leads.db import unit_of_work
from nurture.sending import SendClaim, claim_sends
from tests.nurture.factories_mail import (
    MONDAY,
    add_templates,
    catalog,
    event,
    mail_config,
    make_lead,
    make_send,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLINCH_TEST_POSTGRES_URL"),
        reason="set CLINCH_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run does)",
    ),
]


def _sends(sessions: sessionmaker[Session], n: int) -> list[int]:
    with unit_of_work(sessions) as session:
        add_templates(session)
        return [
            make_send(session, lead_id=make_lead(session, email=f"pg{i}@acme.test"))
            for i in range(n)
        ]


def test_racing_claims_of_one_batch_take_each_send_once(
    pg_sessions: sessionmaker[Session],
) -> None:
    ids = _sends(pg_sessions, 30)

    def claim(session: Session) -> list[SendClaim]:
        return claim_sends(
            session,
            send_ids=ids,
            now=MONDAY,
            lease_s=120,
            config=mail_config(),
            catalog=catalog(),
        )

    first = pg_sessions()
    mine = claim(first)  # claimed, not committed: the second worker waits on these rows
    theirs: list[SendClaim] = []

    def second() -> None:
        with unit_of_work(pg_sessions) as session:
            theirs.extend(claim(session))

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=0.5)
    assert worker.is_alive()  # blocked on our row locks, not reading stale rows
    first.commit()
    first.close()
    worker.join(timeout=30)
    assert sorted(c.send_id for c in mine) == ids
    assert theirs == []


def test_a_batch_on_postgres_is_delivered_and_suppressed_as_on_sqlite(
    home: Path, pg_sessions: sessionmaker[Session]
) -> None:
    ids = _sends(pg_sessions, 6)
    with unit_of_work(pg_sessions) as session:
        send_lead = make_lead(session, email="pg0@acme.test")  # the same lead as ids[0]
        event(session, lead_id=send_lead, type="unsubscribe", at=MONDAY)
    clients = NurtureMailClients(
        Settings(home=home), sessions=pg_sessions, config=mail_config(), catalog=catalog()
    )
    recorded = deliver_sends(clients, ids, clock=lambda: MONDAY)
    assert sorted(r.send_id for r in recorded) == ids[1:]
    assert {r.status for r in recorded} == {"sent"}
    assert sorted(p.name for p in clients.outbox.iterdir()) == sorted(
        outbox_name(i) for i in ids[1:]
    )
