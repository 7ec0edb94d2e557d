"""Webhook delivery against a real local receiver: signed, retried with backoff, dead, revived."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinch.delivery import DeliveryClients, deliver_one
from clinch.settings import RoutingSettings, Settings
from leads.audit import entries_for
from leads.db import unit_of_work
from leads.models import Notification
from leads.reps import find_rep_by_email
from leads.webhooks import add_endpoint, deactivate_endpoint
from routing.delivery import claim, due_ids, list_notices, retry_dead
from routing.errors import NotificationNotDead, NotificationNotFound
from routing.service import route_lead
from routing.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    body_of,
    new_secret,
    sign,
    verify,
)
from tests.routing.factories import MONDAY, add_reps, loaded, make_lead

TIMEOUT_S = 0.3
BACKOFF = [10, 60]


@dataclass
class Clock:
    """The time every step of a test sees; moved on by hand."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> datetime:
        self.now = MONDAY + timedelta(seconds=seconds)
        return self.now


@dataclass
class Post:
    headers: dict[str, str]
    body: bytes
    signed: bool


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that checks each post's signature and answers a script."""

    secret: str
    clock: Clock
    answers: list[int | str] = field(default_factory=list)  # a status, or "sleep"
    posts: list[Post] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int | str:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            header = self.headers.get(SIGNATURE_HEADER, "")
            signed = verify(receiver.secret, body, header, now=receiver.clock())
            receiver.posts.append(Post(dict(self.headers.items()), body, signed))
            answer = receiver.answer()
            if answer == "sleep":
                time.sleep(TIMEOUT_S * 3)  # past the sender's timeout
                answer = 200
            try:
                self.send_response(int(answer))
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver(secret=new_secret(), clock=Clock(), answers=[200])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(got))
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/clinch"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


@pytest.fixture
def clients(home: Path, sessions: sessionmaker[Session]) -> Iterator[DeliveryClients]:
    settings = Settings(
        home=home, routing=RoutingSettings(retry_seconds=BACKOFF, webhook_timeout_s=TIMEOUT_S)
    )
    made = DeliveryClients(settings, sessions=sessions)
    yield made
    made.close()


def _webhook_notice(sessions: sessionmaker[Session], *, url: str, secret: str) -> int:
    """Route a hot US lead to Ann, who has a webhook; return the webhook notice's id."""
    with unit_of_work(sessions) as session:
        add_reps(session)
        ann = find_rep_by_email(session, email="ann@q.test")
        add_endpoint(session, url=url, secret=secret, now=MONDAY, rep_id=ann.id)
        lead = make_lead(session, email="jane@acme.test", probability=0.9)
        routed = route_lead(session, lead_id=lead, rules=loaded(), now=MONDAY)
        assert routed.rep_id == ann.id
        notices = session.scalars(
            select(Notification).where(Notification.id.in_(routed.notices))
        ).all()
        return next(n.id for n in notices if n.channel == "webhook")


def _row(sessions: sessionmaker[Session], notification_id: int) -> Notification:
    with sessions() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row


def test_a_notice_is_posted_once_signed_and_never_resent(
    receiver: Receiver, clients: DeliveryClients, sessions: sessionmaker[Session]
) -> None:
    clock = receiver.clock
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    recorded = deliver_one(clients, notice, clock=clock)
    assert recorded is not None
    assert (recorded.status, recorded.attempts) == ("delivered", 1)
    [post] = receiver.posts
    assert post.signed
    assert post.headers[EVENT_HEADER] == "lead.assigned"
    assert post.headers[DELIVERY_HEADER] == str(notice)
    assert post.headers["Content-Type"] == "application/json"
    sent = json.loads(post.body)
    assert post.body == body_of(sent)  # compact, keys sorted: what was signed is what was sent
    assert sent["lead"]["email"] == "jane@acme.test"
    assert sent["score"]["reasons"] == ["visited pricing 3 times"]
    assert sent["rep"]["email"] == "ann@q.test"
    assert _row(sessions, notice).delivered_at is not None
    # A redelivered task, or the sweep, finds nothing to do.
    assert deliver_one(clients, notice, clock=lambda: clock.at(3600)) is None
    with sessions() as session:
        assert notice not in due_ids(session, now=clock.at(7200), limit=10)
    assert len(receiver.posts) == 1


def test_a_signature_fails_for_another_secret_body_or_time() -> None:
    secret, body = new_secret(), b'{"a":1}'
    header = sign(secret, body, at=MONDAY)
    assert secret.startswith("whsec_")
    assert header.startswith(f"t={int(MONDAY.timestamp())},v1=")
    assert verify(secret, body, header, now=MONDAY + timedelta(seconds=299))
    assert not verify(new_secret(), body, header, now=MONDAY)
    assert not verify(secret, b'{"a":2}', header, now=MONDAY)
    assert not verify(secret, body, header, now=MONDAY + timedelta(seconds=301))
    assert not verify(secret, body, "v1=deadbeef", now=MONDAY)
    # A receiver may list an old and a new signature while a secret is rotated.
    assert verify(secret, body, f"{header},v1=00ff", now=MONDAY)


def test_a_500_is_retried_after_the_backoff_and_then_delivered(
    receiver: Receiver, clients: DeliveryClients, sessions: sessionmaker[Session]
) -> None:
    clock, receiver.answers = receiver.clock, [500, 200]
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    first = deliver_one(clients, notice, clock=clock)
    assert first is not None
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == MONDAY + timedelta(seconds=BACKOFF[0])
    assert first.error == f"HTTP 500 from {receiver.url}"
    clock.at(BACKOFF[0] - 1)
    with sessions() as session:
        assert notice not in due_ids(session, now=clock(), limit=10)
    assert deliver_one(clients, notice, clock=clock) is None  # not due yet
    clock.at(BACKOFF[0])
    with sessions() as session:
        assert notice in due_ids(session, now=clock(), limit=10)
    second = deliver_one(clients, notice, clock=clock)
    assert second is not None
    assert (second.status, second.attempts) == ("delivered", 2)
    assert [p.signed for p in receiver.posts] == [True, True]
    # Both posts carry the same delivery id: the receiver's key to drop a duplicate.
    assert {p.headers[DELIVERY_HEADER] for p in receiver.posts} == {str(notice)}


def test_a_slow_receiver_times_out_goes_dead_after_the_last_retry_and_can_be_revived(
    receiver: Receiver, clients: DeliveryClients, sessions: sessionmaker[Session]
) -> None:
    clock, receiver.answers = receiver.clock, ["sleep"]
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    outcomes = []
    for at in (0, BACKOFF[0], BACKOFF[0] + BACKOFF[1]):
        clock.at(at)
        recorded = deliver_one(clients, notice, clock=clock)
        assert recorded is not None
        outcomes.append((recorded.status, recorded.attempts, recorded.error))
    timed_out = f"timed out after {TIMEOUT_S} s"
    assert outcomes == [
        ("pending", 1, timed_out),
        ("pending", 2, timed_out),
        ("dead", 3, timed_out),
    ]
    with sessions() as session:
        [dead] = list_notices(session, status="dead")
        assert (dead.id, dead.last_error) == (notice, timed_out)
        assert notice not in due_ids(session, now=clock.at(10**6), limit=10)
        lead_id = dead.lead_id
        entries = entries_for(session, subject_type="lead", subject_id=str(lead_id))
        [buried] = [e for e in entries if e.action == "notification.dead"]
        assert buried.actor == "notifier"
        assert buried.detail["notification_id"] == notice
    receiver.answers = [200]
    with unit_of_work(sessions) as session:
        revived = retry_dead(session, notification_id=notice, now=clock())
    assert (revived.status, revived.attempts) == ("pending", 0)
    again = deliver_one(clients, notice, clock=clock)
    assert again is not None
    assert again.status == "delivered"
    with unit_of_work(sessions) as session, pytest.raises(NotificationNotDead, match="delivered"):
        retry_dead(session, notification_id=notice, now=clock())
    with unit_of_work(sessions) as session, pytest.raises(NotificationNotFound):
        retry_dead(session, notification_id=999, now=clock())


def test_a_claimed_notice_is_not_claimed_again_until_its_lease_runs_out(
    receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    start = threading.Barrier(2)
    claims = []

    def take() -> None:
        start.wait()
        with unit_of_work(sessions) as session:
            claims.append(claim(session, notification_id=notice, now=MONDAY, lease_s=30))

    workers = [threading.Thread(target=take) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    won = [c for c in claims if c is not None]
    assert len(claims) == 2
    assert len(won) == 1
    assert (won[0].attempt, won[0].secret, won[0].target) == (1, receiver.secret, receiver.url)
    with unit_of_work(sessions) as session:
        later = MONDAY + timedelta(seconds=29)
        assert claim(session, notification_id=notice, now=later, lease_s=30) is None
    # The claimer died mid-send: once its lease is over, the notice is sent again.
    with unit_of_work(sessions) as session:
        after = MONDAY + timedelta(seconds=30)
        retaken = claim(session, notification_id=notice, now=after, lease_s=30)
    assert retaken is not None
    assert retaken.attempt == 2


def test_a_notice_for_a_removed_endpoint_goes_dead_with_the_reason(
    receiver: Receiver, clients: DeliveryClients, sessions: sessionmaker[Session]
) -> None:
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    with unit_of_work(sessions) as session:
        endpoint_id = _row(sessions, notice).endpoint_id
        assert endpoint_id is not None
        deactivate_endpoint(session, endpoint_id=endpoint_id)
    assert deliver_one(clients, notice, clock=receiver.clock) is None
    row = _row(sessions, notice)
    assert row.status == "dead"
    assert row.last_error == f"webhook {endpoint_id} was deactivated after this notice was written"
    assert receiver.posts == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_redirect_and_a_refused_connection_are_failures(
    receiver: Receiver, clients: DeliveryClients, sessions: sessionmaker[Session]
) -> None:
    receiver.answers = [302]
    notice = _webhook_notice(sessions, url=receiver.url, secret=receiver.secret)
    redirected = deliver_one(clients, notice, clock=receiver.clock)
    assert redirected is not None
    assert redirected.error == f"HTTP 302 from {receiver.url}"
    with unit_of_work(sessions) as session:
        row = session.get(Notification, notice)
        assert row is not None
        row.target = f"http://127.0.0.1:{_closed_port()}/gone"
    refused = deliver_one(clients, notice, clock=lambda: receiver.clock.at(BACKOFF[0]))
    assert refused is not None
    assert refused.status == "pending"
    assert refused.error is not None
    assert refused.error.startswith("cannot connect to http://127.0.0.1:")
