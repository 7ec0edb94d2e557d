"""Send notices: the Celery tasks, the webhook client and the mail transport (SMTP or outbox).

`routing.deliver_notification` claims a notice, sends it with no transaction open, and records
the outcome (see routing/delivery.py); `routing.retry_notifications`, on beat, queues every
pending notice whose next attempt is due, including one whose worker died mid-send.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.routing_tasks import DELIVER_TASK
from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from routing.delivery import Claim, Recorded, claim, due_ids, record_result
from routing.mail import render_notice
from routing.webhooks import body_of, headers

RETRY_TASK = "routing.retry_notifications"
# Due notices queued per sweep; the rest wait for the next one (every 10 s).
SWEEP_LIMIT = 1000
_log = logging.getLogger("clinch.delivery")


@dataclass(frozen=True)
class SmtpServer:
    """Where mail is sent, from `smtp://user:pass@host:port` (smtps:// for SSL, ?starttls=true)."""

    host: str
    port: int
    use_ssl: bool
    starttls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        """Return host:port, for messages."""
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """Return the SMTP server of a URL; refuse a scheme other than smtp or smtps."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("expected smtp://[user:pass@]host[:port] or smtps://…")
    starttls = parse_qs(parts.query).get("starttls", ["false"])[-1].lower() in ("1", "true", "yes")
    use_ssl = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 587 if starttls else 25),
        use_ssl=use_ssl,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class SmtpResult:
    """How an SMTP send went: delivered (error None), or why not and whether a retry could help."""

    error: str | None = None
    permanent: bool = False  # a 5xx refusal of the recipient or the message: retrying won't help


def _server_text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)).strip()


def send_smtp(message: EmailMessage, server: SmtpServer, *, timeout_s: float) -> SmtpResult:
    """Send a message over SMTP; say why it failed and whether a retry could help."""
    context = ssl.create_default_context()
    try:
        smtp = (
            smtplib.SMTP_SSL(server.host, server.port, timeout=timeout_s, context=context)
            if server.use_ssl
            else smtplib.SMTP(server.host, server.port, timeout=timeout_s)
        )
        with smtp:
            if server.starttls:
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = exc.recipients.items()
        said = "; ".join(f"{rcpt}: {code} {_server_text(text)}" for rcpt, (code, text) in answers)
        final = all(500 <= code < 600 for code, _ in exc.recipients.values())
        return SmtpResult(error=f"{server.where} refused the recipient: {said}", permanent=final)
    except smtplib.SMTPDataError as exc:
        said = f"{exc.smtp_code} {_server_text(exc.smtp_error)}"
        final = 500 <= exc.smtp_code < 600
        return SmtpResult(error=f"{server.where} refused the message: {said}", permanent=final)
    except smtplib.SMTPResponseException as exc:
        said = f"{exc.smtp_code} {_server_text(exc.smtp_error)}"
        return SmtpResult(error=f"SMTP {said} from {server.where}")
    except (smtplib.SMTPException, OSError) as exc:
        # smtplib reports a read that timed out as a disconnection caused by the timeout.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return SmtpResult(error=f"timed out after {timeout_s} s talking to {server.where}")
        return SmtpResult(error=f"cannot send mail via {server.where}: {exc}")
    return SmtpResult()


def write_outbox(message: EmailMessage, folder: Path, *, name: str) -> str | None:
    """Write a message as folder/name atomically (a reader never sees half a file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
    except OSError as exc:
        return f"cannot write {folder / name}: {exc}"
    return None


def post_webhook(
    client: httpx.Client, sent: Claim, *, at: datetime, timeout_s: float
) -> str | None:
    """Post a signed notice; return why it failed (anything but a 2xx), or None."""
    body = body_of(sent.payload)
    signed = headers(
        sent.secret or "", body, event=sent.event, delivery_id=sent.notification_id, at=at
    )
    try:
        response = client.post(sent.target, content=body, headers=signed)
    except httpx.TimeoutException:
        return f"timed out after {timeout_s} s"
    except httpx.ConnectError as exc:
        return f"cannot connect to {sent.target}: {exc}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} posting to {sent.target}: {exc}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code} from {sent.target}"


class DeliveryClients:
    """A worker's database and webhook client, opened on first use (after the worker forks)."""

    def __init__(self, settings: Settings, *, sessions: sessionmaker[Session] | None = None):
        self.settings = settings
        self._sessions = sessions
        self._engine: Engine | None = None
        self._http: httpx.Client | None = None

    @property
    def lease_s(self) -> float:
        """Return how long a claim keeps other workers off a notice: past any send's timeouts."""
        timeout = max(self.settings.routing.webhook_timeout_s, self.settings.mail.timeout_s)
        # httpx and smtplib apply the timeout to each step (connect, write, read), not in total.
        return 4 * timeout + 15

    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory, opening the database on first use."""
        if self._sessions is None:
            self._engine, self._sessions = open_database(self.settings)
        return self._sessions

    def http(self) -> httpx.Client:
        """Return the webhook client, built on first use."""
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.settings.routing.webhook_timeout_s, follow_redirects=False
            )
        return self._http

    def send(self, sent: Claim, *, at: datetime) -> str | None:
        """Send a claimed notice by its channel; return why it failed, or None."""
        if sent.channel == "webhook":
            timeout = self.settings.routing.webhook_timeout_s
            return post_webhook(self.http(), sent, at=at, timeout_s=timeout)
        if sent.channel == "email":
            return self.mail(sent, at=at)
        return f"unknown channel {sent.channel!r}"

    def mail(self, sent: Claim, *, at: datetime) -> str | None:
        """Mail a claimed notice via SMTP, or into the outbox folder when no server is set."""
        mail = self.settings.mail
        message = render_notice(
            notification_id=sent.notification_id,
            event=sent.event,
            target=sent.target,
            payload=sent.payload,
            sender=mail.sender,
            public_url=self.settings.resolved_public_url,
            at=at,
        )
        smtp_url = self.settings.resolved_smtp_url
        if smtp_url is None:
            name = f"{sent.notification_id}-{sent.event}.eml"
            return write_outbox(message, self.settings.outbox_path, name=name)
        try:
            server = parse_smtp_url(smtp_url)
        except ValueError as exc:
            return f"CLINCH_SMTP_URL: {exc}"
        # A notice retries any failure up to its attempt limit, a 5xx refusal too, as before.
        return send_smtp(message, server, timeout_s=mail.timeout_s).error

    def close(self) -> None:
        """Close the webhook client and the database pool this object opened."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def deliver_one(
    clients: DeliveryClients, notification_id: int, *, clock: Callable[[], datetime] = _utcnow
) -> Recorded | None:
    """Claim, send and record one notice; None if it was not ours to send."""
    with unit_of_work(clients.sessions()) as session:
        sent = claim(session, notification_id=notification_id, now=clock(), lease_s=clients.lease_s)
    if sent is None:
        _log.info("notification %d not sent: delivered, dead, not due or taken", notification_id)
        return None
    try:
        error = clients.send(sent, at=clock())
    except Exception as exc:  # a bug must still use up the retries and reach the dead letters
        _log.exception("sending notification %d failed", notification_id)
        error = f"{type(exc).__name__}: {exc}"
    with unit_of_work(clients.sessions()) as session:
        return record_result(
            session,
            notification_id=notification_id,
            ok=error is None,
            error=error,
            now=clock(),
            backoff_seconds=clients.settings.routing.retry_seconds,
        )


def queue_due(app: Celery, clients: DeliveryClients, *, now: datetime) -> int:
    """Queue a delivery of every pending notice that is due; return how many."""
    with clients.sessions()() as session:
        ids = due_ids(session, now=now, limit=SWEEP_LIMIT)
    for notification_id in ids:
        app.send_task(DELIVER_TASK, args=[notification_id])
    return len(ids)


def register_delivery_tasks(app: Celery, settings: Settings) -> None:
    """Register `routing.deliver_notification` and the periodic `routing.retry_notifications`."""
    clients = DeliveryClients(settings)

    @app.task(name=DELIVER_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def deliver_notification(notification_id: int) -> str:
        """Send one notice once: a delivered, dead or already-claimed one is skipped."""
        recorded = deliver_one(clients, int(notification_id))
        return "skipped" if recorded is None else recorded.status

    @app.task(name=RETRY_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def retry_notifications() -> int:
        """Queue every pending notice whose next attempt is due."""
        return queue_due(app, clients, now=_utcnow())
