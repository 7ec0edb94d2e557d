"""Sending from the outbox table to the outbox folder: consent right before the send, template
errors retried then dead, one file per send whatever crashes, claims that keep twins off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_delivery import NurtureMailClients, deliver_sends, outbox_name
from clinch.settings import Settings
from leads.db import unit_of_work
from leads.models import Lead
from leads.nurture_models import NurtureSend, NurtureStepLog, NurtureTemplate
from nurture.errors import SendNotDead
from nurture.sending import claim_send, due_send_ids, retry_dead, send_rows
from tests.nurture.factories_mail import (
    MONDAY,
    add_templates,
    catalog,
    event,
    mail_config,
    make_lead,
    make_send,
)


@dataclass
class Clock:
    """The time every step of a test sees; moved on by hand."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def later(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clients(home: Path, sessions: sessionmaker[Session]) -> NurtureMailClients:
    return NurtureMailClients(
        Settings(home=home), sessions=sessions, config=mail_config(), catalog=catalog()
    )


def _send(sessions: sessionmaker[Session], send_id: int) -> NurtureSend:
    with sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        session.expunge(row)
        return row


def _log(sessions: sessionmaker[Session], send_id: int) -> list[tuple[str, str | None]]:
    with sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        query = (
            select(NurtureStepLog.kind, NurtureStepLog.detail)
            .where(NurtureStepLog.enrollment_id == row.enrollment_id)
            .order_by(NurtureStepLog.id)
        )
        return [(kind, detail) for kind, detail in session.execute(query)]


def _files(clients: NurtureMailClients) -> list[str]:
    folder = clients.outbox
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _read(clients: NurtureMailClients, send_id: int) -> EmailMessage:
    raw = (clients.outbox / outbox_name(send_id)).read_bytes()
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def _one_send(sessions: sessionmaker[Session], **send: object) -> int:
    with unit_of_work(sessions) as session:
        add_templates(session)
        lead_id = make_lead(session, pages=[{"kind": "pricing_view", "path": "/pricing"}])
        return make_send(session, lead_id=lead_id, **send)  # type: ignore[arg-type]


def test_a_send_is_written_once_to_the_outbox_and_recorded_sent(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    send_id = _one_send(sessions)
    clock = Clock()
    recorded = deliver_sends(clients, [send_id, send_id], clock=clock)
    assert [(r.send_id, r.status, r.attempts) for r in recorded] == [(send_id, "sent", 1)]
    assert _files(clients) == [outbox_name(send_id)]
    message = _read(clients, send_id)
    assert message["To"] == "Jane Doe <jane@acme.test>"
    assert message["Subject"] == "Welcome to Quillstack, Jane"
    assert message["Message-ID"] == f"<nurture-{send_id}@quillstack.test>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Folded onto its own line (a URL is longer than 78 characters): read as one value.
    assert str(message["List-Unsubscribe"]).strip().startswith("<https://clinch.mail.test/n/u/")
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    row = _send(sessions, send_id)
    assert (row.status, row.to_email, row.subject) == (
        "sent",
        "jane@acme.test",
        "Welcome to Quillstack, Jane",
    )
    assert row.message_id == message["Message-ID"]
    assert _log(sessions, send_id) == [("sent", "welcome")]
    # Sent is final: another delivery (a redelivered task, the sweep) does nothing.
    clock.later(3600)
    assert deliver_sends(clients, [send_id], clock=clock) == []
    assert _files(clients) == [outbox_name(send_id)]


def test_consent_withdrawn_after_the_send_was_written_suppresses_it(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    send_id = _one_send(sessions)
    with unit_of_work(sessions) as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        event(
            session,
            lead_id=row.lead_id,
            type="consent_withdrawn",
            at=MONDAY - timedelta(minutes=1),
            properties={"purpose": "marketing"},
        )
    assert deliver_sends(clients, [send_id], clock=Clock()) == []
    assert _files(clients) == []
    row = _send(sessions, send_id)
    assert row.status == "suppressed"
    assert row.last_error == "the lead withdrew marketing consent (consent_withdrawn)"
    assert _log(sessions, send_id) == [
        ("skipped", "not sent: the lead withdrew marketing consent (consent_withdrawn)")
    ]
    assert due_send_ids(sessions(), now=MONDAY + timedelta(days=1), limit=10) == []


def test_an_unsubscribed_lead_and_a_lead_without_email_are_never_sent_to(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        gone = make_lead(session, email="gone@acme.test")
        event(session, lead_id=gone, type="unsubscribe", at=MONDAY - timedelta(minutes=5))
        unsubscribed = make_send(session, lead_id=gone)
        anonymous = make_send(session, lead_id=make_lead(session, email=None))
    assert deliver_sends(clients, [unsubscribed, anonymous], clock=Clock()) == []
    assert _files(clients) == []
    assert _send(sessions, unsubscribed).last_error == "the lead unsubscribed (unsubscribe)"
    assert _send(sessions, anonymous).last_error == "the lead has no email address"
    assert {_send(sessions, i).status for i in (unsubscribed, anonymous)} == {"suppressed"}


def test_a_consent_given_again_after_unsubscribing_sends_again(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        lead_id = make_lead(session)
        event(session, lead_id=lead_id, type="unsubscribe", at=MONDAY - timedelta(hours=2))
        event(session, lead_id=lead_id, type="consent_given", at=MONDAY - timedelta(hours=1))
        send_id = make_send(session, lead_id=lead_id)
    assert [r.status for r in deliver_sends(clients, [send_id], clock=Clock())] == ["sent"]


def test_an_exited_enrollment_suppresses_a_completed_one_still_sends(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        lead_id = make_lead(session)
        exited = make_send(
            session, lead_id=lead_id, enrollment_status="exited", exit_reason="purchased"
        )
        completed = make_send(session, lead_id=lead_id, enrollment_status="completed")
    recorded = deliver_sends(clients, [exited, completed], clock=Clock())
    assert [(r.send_id, r.status) for r in recorded] == [(completed, "sent")]
    assert _send(sessions, exited).last_error == "the enrollment ended (exited: purchased)"
    assert _files(clients) == [outbox_name(completed)]


def test_a_template_error_waits_with_the_reason_then_goes_dead_and_can_be_revived(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    send_id = _one_send(sessions, template="offer")
    with unit_of_work(sessions) as session:
        # Stored behind the checks' back (an older release, a hand edit): it fails at send time.
        row = session.scalars(select(NurtureTemplate).where(NurtureTemplate.name == "offer")).one()
        row.subject = "{{ plan.nmae }} for you"
    clock = Clock()
    error = (
        "template 'offer': subject: line 1: unknown variable 'plan.nmae' (did you mean "
        "'plan.name'?)"
    )
    for backoff in (60, 300):  # mail_config's retry_seconds
        assert deliver_sends(clients, [send_id], clock=clock) == []
        row_now = _send(sessions, send_id)
        assert (row_now.status, row_now.last_error) == ("pending", error)
        assert deliver_sends(clients, [send_id], clock=clock) == []  # not due yet
        clock.later(backoff)
    assert deliver_sends(clients, [send_id], clock=clock) == []
    dead = _send(sessions, send_id)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 3, error)
    assert _log(sessions, send_id) == [("error", error)]
    assert _files(clients) == []
    with unit_of_work(sessions) as session:
        row = session.scalars(select(NurtureTemplate).where(NurtureTemplate.name == "offer")).one()
        row.subject = "{{ plan.name }} for you"
        retried = retry_dead(session, send_id=send_id, now=clock())
        assert (retried.status, retried.attempts) == ("pending", 0)
        with pytest.raises(SendNotDead):
            retry_dead(session, send_id=send_id, now=clock())
    assert [r.status for r in deliver_sends(clients, [send_id], clock=clock)] == ["sent"]
    assert _read(clients, send_id)["Subject"] == "Team for you"


def test_a_send_whose_worker_died_after_writing_is_recorded_sent_without_a_second_file(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    send_id = _one_send(sessions)
    clock = Clock()
    # A worker claims the send and writes the file, then dies before recording it.
    with unit_of_work(sessions) as session:
        claim = claim_send(
            session,
            send_id=send_id,
            now=clock(),
            lease_s=clients.lease_s,
            config=clients.config(),
            catalog=catalog(),
        )
    assert claim is not None
    assert clients.transport(claim).error is None
    written = (clients.outbox / outbox_name(send_id)).read_bytes()
    # Until the lease runs out no one else takes it; then the sweep's retry finds the file.
    assert deliver_sends(clients, [send_id], clock=clock) == []
    clock.later(clients.lease_s + 1)
    recorded = deliver_sends(clients, [send_id], clock=clock)
    assert [(r.status, r.attempts) for r in recorded] == [("sent", 2)]
    assert _files(clients) == [outbox_name(send_id)]
    assert (clients.outbox / outbox_name(send_id)).read_bytes() == written
    assert _log(sessions, send_id) == [("sent", "welcome")]


def test_a_batch_goes_out_in_one_pass_and_lists_for_the_operator(
    clients: NurtureMailClients, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        ids = [
            make_send(session, lead_id=make_lead(session, email=f"p{n}@acme.test"))
            for n in range(5)
        ]
        first = session.get(NurtureSend, ids[0])
        assert first is not None
        lead = session.get(Lead, first.lead_id)
        assert lead is not None
        lead.email = None  # one lost their address meanwhile
    recorded = deliver_sends(clients, ids, clock=Clock())
    assert sorted(r.send_id for r in recorded) == ids[1:]
    assert _files(clients) == sorted(outbox_name(i) for i in ids[1:])
    with sessions() as session:
        rows = send_rows(session)
        assert [r.id for r in rows] == ids[::-1]
        assert [r.id for r in send_rows(session, status="suppressed")] == [ids[0]]
        assert [r.status for r in rows[:4]] == ["sent"] * 4
