"""Nurture mail over a real SMTP server (aiosmtpd): both parts and the one-click headers arrive;
a refusal is final, a server that is down or silent is retried with backoff until it is back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_delivery import NurtureMailClients, deliver_sends
from clinch.settings import MailSettings, Settings
from leads.db import unit_of_work
from leads.nurture_models import NurtureSend
from tests.nurture.factories_mail import (
    MONDAY,
    SENDER,
    add_templates,
    catalog,
    mail_config,
    make_lead,
    make_send,
)

TIMEOUT_S = 0.5


@dataclass
class Inbox:
    """What a real SMTP server received; refuses recipients listed in `refuse`."""

    refuse: set[str] = field(default_factory=set)
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        del server, session, options
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        del server, session
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        found = []
        for envelope in self.envelopes:
            message = message_from_bytes(bytes(envelope.original_content or b""), policy=default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found


class AnyPortController(Controller):
    """aiosmtpd's controller on a given port, or one the OS picks (port 0), read back once bound."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class Clock:
    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now


def _start(inbox: Inbox, port: int = 0) -> AnyPortController:
    controller = AnyPortController(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = _start(inbox)
    yield inbox, controller.port
    controller.stop()


def _clients(home: Path, sessions: sessionmaker[Session], port: int) -> NurtureMailClients:
    mail = MailSettings(
        smtp_url=SecretStr(f"smtp://127.0.0.1:{port}"), sender=SENDER, timeout_s=TIMEOUT_S
    )
    return NurtureMailClients(
        Settings(home=home, mail=mail), sessions=sessions, config=mail_config(), catalog=catalog()
    )


def _sends(sessions: sessionmaker[Session], *emails: str) -> list[int]:
    with unit_of_work(sessions) as session:
        add_templates(session)
        return [make_send(session, lead_id=make_lead(session, email=email)) for email in emails]


def _row(sessions: sessionmaker[Session], send_id: int) -> NurtureSend:
    with sessions() as session:
        row = session.get(NurtureSend, send_id)
        assert row is not None
        session.expunge(row)
        return row


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_send_arrives_with_both_parts_one_click_headers_and_its_own_message_id(
    home: Path, sessions: sessionmaker[Session], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    (send_id,) = _sends(sessions, "jane@acme.test")
    recorded = deliver_sends(_clients(home, sessions, port), [send_id], clock=Clock())
    assert [r.status for r in recorded] == ["sent"]
    (message,) = inbox.messages()
    assert inbox.envelopes[0].rcpt_tos == ["jane@acme.test"]
    assert message["Message-ID"] == f"<nurture-{send_id}@quillstack.test>"
    assert message["From"] == SENDER
    assert str(message["List-Unsubscribe"]).strip().startswith("<https://clinch.mail.test/n/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Hi Jane," in text.get_content()
    assert "Try Team</a>" in html.get_content()
    assert not (home / "outbox").exists()  # SMTP set: nothing goes to the folder


def test_a_recipient_the_server_refuses_is_dead_with_the_servers_words(
    home: Path, sessions: sessionmaker[Session], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    inbox.refuse.add("nobody@acme.test")
    (send_id,) = _sends(sessions, "nobody@acme.test")
    (recorded,) = deliver_sends(_clients(home, sessions, port), [send_id], clock=Clock())
    assert (recorded.status, recorded.attempts) == ("dead", 1)
    assert recorded.error == (
        f"127.0.0.1:{port} refused the recipient: nobody@acme.test: 550 5.1.1 "
        "<nobody@acme.test>: no such mailbox here"
    )
    assert inbox.envelopes == []


def test_a_server_that_is_down_is_retried_with_backoff_and_delivered_when_back(
    home: Path, sessions: sessionmaker[Session]
) -> None:
    port = _free_port()
    clients = _clients(home, sessions, port)
    (send_id,) = _sends(sessions, "jane@acme.test")
    clock = Clock()
    (first,) = deliver_sends(clients, [send_id], clock=clock)
    assert first.status == "pending"
    assert first.error is not None
    assert first.error.startswith(f"cannot send mail via 127.0.0.1:{port}")
    assert first.next_attempt_at == MONDAY + timedelta(seconds=60)
    assert deliver_sends(clients, [send_id], clock=clock) == []  # backing off
    inbox = Inbox()
    controller = _start(inbox, port)
    try:
        clock.now = MONDAY + timedelta(seconds=61)
        (second,) = deliver_sends(clients, [send_id], clock=clock)
    finally:
        controller.stop()
    assert (second.status, second.attempts) == ("sent", 2)
    assert [m["Message-ID"] for m in inbox.messages()] == [f"<nurture-{send_id}@quillstack.test>"]


def test_a_server_that_never_answers_times_out_and_goes_dead_after_the_last_retry(
    home: Path, sessions: sessionmaker[Session]
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        clients = _clients(home, sessions, port)
        (send_id,) = _sends(sessions, "jane@acme.test")
        clock = Clock()
        statuses: list[tuple[str, str | None]] = []
        for wait in (0, 61, 301):  # mail_config's retry_seconds are (60, 300)
            clock.now += timedelta(seconds=wait)
            statuses.extend(
                (r.status, r.error) for r in deliver_sends(clients, [send_id], clock=clock)
            )
    timed_out = f"timed out after {TIMEOUT_S} s talking to 127.0.0.1:{port}"
    assert [s for s, _ in statuses] == ["pending", "pending", "dead"]
    assert {e for _, e in statuses} == {timed_out}
    assert _row(sessions, send_id).attempts == 3
