"""Notices as mail: through a real SMTP server (aiosmtpd), and as .eml files in the outbox."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinch.delivery import DeliveryClients, deliver_one, parse_smtp_url
from clinch.settings import MailSettings, Settings
from leads.conversations import add_message, start_conversation
from leads.db import unit_of_work
from leads.models import Lead, Notification
from routing.notices import notify_managers
from routing.service import route_lead
from tests.routing.factories import MONDAY, add_reps, loaded, make_lead

SENDER = "Clinch <clinch@q.test>"
PUBLIC_URL = "https://clinch.q.test"
USER, PASSWORD = "clinch", "p@ss:word"


@dataclass
class Inbox:
    """What a real SMTP server received."""

    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        del server, session
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        del server, session, envelope, mechanism
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=(data.login, data.password) == (USER.encode(), PASSWORD.encode()))

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(bytes(e.original_content or b""), policy=default)
            for e in self.envelopes
        ]


class AnyPortController(Controller):
    """aiosmtpd's controller on a port the OS picks (port 0), read back once bound."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = AnyPortController(
        inbox,
        hostname="127.0.0.1",
        port=0,
        authenticator=inbox.authenticate,
        auth_require_tls=False,  # a local test server: no TLS, so allow AUTH in the clear
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _settings(home: Path, smtp_url: str | None) -> Settings:
    mail = MailSettings(smtp_url=SecretStr(smtp_url) if smtp_url else None, sender=SENDER)
    return Settings(home=home, mail=mail, public_url=PUBLIC_URL)


def _offer_mail(sessions: sessionmaker[Session]) -> int:
    """Route Jane Doe of Acme (hot, she chatted) to Ann; return the id of Ann's email notice."""
    with unit_of_work(sessions) as session:
        add_reps(session)
        lead_id = make_lead(session, email="jane@acme.test", probability=0.9)
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.name, lead.company = "Jane Doe", "Acme"
        chat = start_conversation(session, session_id="s-1", anonymous_id="a-1", at=MONDAY)
        chat.lead_id = lead_id
        add_message(session, conversation=chat, role="user", text="Do you do SSO?", at=MONDAY)
        routed = route_lead(session, lead_id=lead_id, rules=loaded(), now=MONDAY)
        query = select(Notification.id).where(
            Notification.id.in_(routed.notices), Notification.channel == "email"
        )
        return session.scalars(query).one()


def test_an_offer_arrives_by_smtp_with_subject_reasons_and_inbox_link(
    home: Path, sessions: sessionmaker[Session], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    url = f"smtp://{USER}:p%40ss%3Aword@127.0.0.1:{port}"
    clients = DeliveryClients(_settings(home, url), sessions=sessions)
    notice = _offer_mail(sessions)
    recorded = deliver_one(clients, notice, clock=lambda: MONDAY)
    assert recorded is not None
    assert recorded.status == "delivered"
    assert inbox.logins == [(b"clinch", b"p@ss:word")]
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "clinch@q.test"
    assert envelope.rcpt_tos == ["ann@q.test"]
    [message] = inbox.messages()
    # A hot lead's SLA is 5 minutes: offered at 15:00 UTC.
    assert message["Subject"] == "Hot lead for you: Jane Doe (Acme) — accept by 15:05 UTC"
    assert message["Message-ID"] == f"<notification-{notice}@q.test>"
    body = message.get_content()
    assert "Score: 90% (hot)" in body
    assert "  - visited pricing 3 times" in body
    assert "score 90% ≥ 60% for smb" in body  # why it came to Ann
    assert "user: Do you do SSO?" in body
    assert f"{PUBLIC_URL}/inbox" in body
    assert not (home / "outbox").exists()


def test_without_an_smtp_server_mail_is_written_to_the_outbox(
    home: Path, sessions: sessionmaker[Session]
) -> None:
    clients = DeliveryClients(_settings(home, None), sessions=sessions)
    notice = _offer_mail(sessions)
    assert deliver_one(clients, notice, clock=lambda: MONDAY) is not None
    written = home / "outbox" / f"{notice}-lead.assigned.eml"
    assert sorted(p.name for p in (home / "outbox").iterdir()) == [written.name]  # no temp file
    message = message_from_bytes(written.read_bytes(), policy=default)
    assert message["To"] == "ann@q.test"
    assert message["From"] == SENDER
    assert message["Subject"].startswith("Hot lead for you: Jane Doe (Acme)")
    assert isinstance(message, EmailMessage)
    assert f"{PUBLIC_URL}/inbox" in message.get_content()


def test_a_manager_is_told_what_happened_and_why(
    home: Path, sessions: sessionmaker[Session]
) -> None:
    clients = DeliveryClients(_settings(home, None), sessions=sessions)
    why = "all 2 matching reps let the SLA lapse"
    with unit_of_work(sessions) as session:
        add_reps(session)
        lead_id = make_lead(session, email="kim@big.test", probability=0.7)
        escalated = notify_managers(
            session,
            lead_id=lead_id,
            teams={"sales"},
            reasons=[why],
            event="lead.sla_escalated",
            round_key="a1",
            now=MONDAY,
        )
        unroutable = notify_managers(
            session,
            lead_id=lead_id,
            teams=set(),
            reasons=["no rep sells to enterprise"],
            event="lead.unroutable",
            round_key="q1",
            now=MONDAY,
        )
    for notice in (*escalated, *unroutable):
        assert deliver_one(clients, notice, clock=lambda: MONDAY) is not None
    [sla] = [_read(home, n, "lead.sla_escalated") for n in escalated]
    [lost] = [_read(home, n, "lead.unroutable") for n in unroutable]
    assert sla["To"] == "max@q.test"
    assert sla["Subject"] == "SLA missed on a hot lead: no rep accepted kim@big.test in time"
    assert "No rep accepted kim@big.test in time" in sla.get_content()
    assert f"  - {why}" in sla.get_content()
    assert lost["Subject"] == "Unroutable hot lead: no rep can take kim@big.test"
    assert "  - no rep sells to enterprise" in lost.get_content()
    assert "(no chat yet)" in lost.get_content()


def _read(home: Path, notice: int, event: str) -> EmailMessage:
    message = message_from_bytes(
        (home / "outbox" / f"{notice}-{event}.eml").read_bytes(), policy=default
    )
    assert isinstance(message, EmailMessage)
    return message


def test_a_mail_server_that_is_down_is_a_failure_to_retry(
    home: Path, sessions: sessionmaker[Session]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clients = DeliveryClients(_settings(home, f"smtp://127.0.0.1:{port}"), sessions=sessions)
    recorded = deliver_one(clients, _offer_mail(sessions), clock=lambda: MONDAY)
    assert recorded is not None
    assert recorded.status == "pending"
    assert recorded.error is not None
    assert recorded.error.startswith(f"cannot send mail via 127.0.0.1:{port}")


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.test")
    assert (plain.host, plain.port, plain.use_ssl, plain.starttls) == (
        "mail.test",
        25,
        False,
        False,
    )
    tls = parse_smtp_url("smtp://u:p%2Fq@mail.test?starttls=true")
    assert (tls.port, tls.starttls, tls.username, tls.password) == (587, True, "u", "p/q")
    assert "p/q" not in repr(tls)
    assert parse_smtp_url("smtps://mail.test").port == 465
    with pytest.raises(ValueError, match="smtp://"):
        parse_smtp_url("http://mail.test")
