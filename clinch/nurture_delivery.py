"""Deliver nurture email: the Celery tasks and the transports (an outbox folder, or SMTP).

`nurture.send_emails(send_ids)` claims each send, builds its message, hands it to the transport
with no transaction open, and records the outcome (nurture/sending.py). `nurture.retry_sends`,
on beat, queues every pending send that is due, including one whose worker died mid-send.

Exactly once, as far as a transport allows:
- **Outbox folder** (no SMTP server set): the file is named by the send (`nurture-<id>.eml`),
  written to a temporary file and hard-linked to that name, which fails if it exists. A worker
  that died after the link but before recording leaves the file; the next attempt finds it,
  records the send as sent and writes nothing. So each send is one file, whatever crashes.
- **SMTP**: a crash after the server accepted a message but before our commit cannot be told
  from one before the accept, so the send is attempted again (at least once). Each attempt
  carries the same `Message-ID` (`<nurture-<id>@domain>`), so receiving systems and readers can
  drop the copy. A refused connection, a timeout or a 4xx answer is retried with backoff; a 5xx
  rejection of the recipient or the message is final (dead, with the server's words).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from checkout.catalog import Catalog
from clinch.assistant_wiring import load_public_catalog
from clinch.delivery import parse_smtp_url, send_smtp
from clinch.nurture_config import nurture_config
from clinch.nurture_tasks import RETRY_SENDS_TASK, SEND_TASK
from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.documents import pricing_version
from nurture.config import NurtureConfig
from nurture.sending import SendClaim, SendRecorded, claim_sends, due_send_ids, record_send

# Sends claimed together when they go to the outbox folder (a file each: fast, idempotent).
OUTBOX_BATCH = 200
# Due sends queued per task by the sweep, and at most per sweep (the rest wait for the next).
SWEEP_CHUNK = 100
SWEEP_LIMIT = 5000
# How often a busy worker checks whether the pricing catalog was re-ingested.
CATALOG_CHECK_S = 30.0
_log = logging.getLogger("clinch.nurture_delivery")


@dataclass(frozen=True)
class Outcome:
    """How a transport did: delivered (error None), or why not and whether to stop trying."""

    error: str | None = None
    permanent: bool = False
    already: bool = False  # the outbox already had this send's file


def outbox_name(send_id: int) -> str:
    """Return the outbox file name of a send: its idempotency key."""
    return f"nurture-{send_id}.eml"


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_once(
    message: EmailMessage, folder: Path, *, name: str, sync_folder: bool = True
) -> Outcome:
    """Write folder/name unless it exists (atomically: a reader never sees half a file).

    With `sync_folder` False the caller syncs the folder once for a batch, before recording.
    """
    final = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if final.exists():
            return Outcome(already=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, final)  # fails if the name exists: one file per send, ever
            except FileExistsError:
                return Outcome(already=True)
            if sync_folder:
                _fsync_folder(folder)
        finally:
            os.unlink(tmp)
    except OSError as exc:
        return Outcome(error=f"cannot write {final}: {exc}")
    return Outcome()


class NurtureMailClients:
    """A worker's database, config, catalog and transport, opened on first use (after fork)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sessions: sessionmaker[Session] | None = None,
        config: NurtureConfig | None = None,
        catalog: Catalog | None = None,
        catalog_check_s: float = CATALOG_CHECK_S,
    ) -> None:
        self.settings = settings
        # A catalog given here is used as it is (tests, the benchmark); else the ingested one.
        self._fixed_catalog = catalog
        self._sessions = sessions
        self._engine: Engine | None = None
        self._config = config
        self._catalog: Catalog | None = None
        self._catalog_seen: object = None
        self._catalog_checked: float | None = None
        self._catalog_check_s = catalog_check_s

    @property
    def lease_s(self) -> float:
        """Return how long a claim keeps other workers off a send: past any SMTP timeouts."""
        # smtplib applies the timeout to each step (connect, each command), not in total.
        return max(float(self.config().send_lease_s), 6 * self.settings.mail.timeout_s + 15)

    @property
    def outbox(self) -> Path:
        """Return the folder nurture mail is written to when no SMTP server is set."""
        return self.settings.outbox_path / "nurture"

    @property
    def uses_smtp(self) -> bool:
        """Return whether mail goes to an SMTP server (else to the outbox folder)."""
        return self.settings.resolved_smtp_url is not None

    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory, opening the database on first use."""
        if self._sessions is None:
            self._engine, self._sessions = open_database(self.settings)
        return self._sessions

    def config(self) -> NurtureConfig:
        """Return nurture's config (built from settings once)."""
        if self._config is None:
            self._config = nurture_config(self.settings)
        return self._config

    def catalog(self) -> Catalog | None:
        """Return the ingested pricing catalog, reloaded when pricing is ingested again."""
        if self._fixed_catalog is not None:
            return self._fixed_catalog
        now = time.monotonic()
        checked = self._catalog_checked
        if checked is not None and now - checked < self._catalog_check_s:
            return self._catalog
        self._catalog_checked = now
        with self.sessions()() as session:
            version = pricing_version(session)
        if version != self._catalog_seen:
            found = load_public_catalog(self.sessions(), company=self.settings.company_name)
            self._catalog = found[0] if found else None
            self._catalog_seen = version
            if self._catalog is not None and not self.settings.company_name:
                # The sending company's name comes from the catalog unless set explicitly.
                self._config = replace(self.config(), company_name=self._catalog.company)
        return self._catalog

    def transport(self, claim: SendClaim, *, sync: bool = True) -> Outcome:
        """Hand a claimed send to SMTP, or to the outbox folder when no server is set."""
        smtp_url = self.settings.resolved_smtp_url
        if smtp_url is None:
            name = outbox_name(claim.send_id)
            return write_once(claim.message, self.outbox, name=name, sync_folder=sync)
        try:
            server = parse_smtp_url(smtp_url)
        except ValueError as exc:
            return Outcome(error=f"CLINCH_SMTP_URL: {exc}")
        sent = send_smtp(claim.message, server, timeout_s=self.settings.mail.timeout_s)
        return Outcome(error=sent.error, permanent=sent.permanent)

    def sync_outbox(self) -> None:
        """Make the outbox folder's new names durable (once per batch, before recording)."""
        try:
            _fsync_folder(self.outbox)
        except OSError as exc:  # the files themselves are synced; a folder may refuse fsync
            _log.warning("could not sync the outbox folder %s: %s", self.outbox, exc)

    def close(self) -> None:
        """Close the database pool this object opened."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _claim_all(
    clients: NurtureMailClients, send_ids: Sequence[int], *, clock: Callable[[], datetime]
) -> list[SendClaim]:
    catalog = clients.catalog()
    config = clients.config()
    with unit_of_work(clients.sessions()) as session:
        return claim_sends(
            session,
            send_ids=send_ids,
            now=clock(),
            lease_s=clients.lease_s,
            config=config,
            catalog=catalog,
        )


def _send(clients: NurtureMailClients, claim: SendClaim, *, sync: bool) -> Outcome:
    try:
        outcome = clients.transport(claim, sync=sync)
    except Exception as exc:  # a bug must still use up the retries and reach the dead letters
        _log.exception("sending nurture send %d failed", claim.send_id)
        return Outcome(error=f"{type(exc).__name__}: {exc}")
    if outcome.already:
        _log.warning(
            "nurture send %d was already in the outbox (its worker died before recording it): "
            "recorded as sent, not written again",
            claim.send_id,
        )
    return outcome


def _record_all(
    clients: NurtureMailClients,
    results: Iterable[tuple[SendClaim, Outcome]],
    *,
    clock: Callable[[], datetime],
) -> list[SendRecorded]:
    backoff = clients.config().retry_seconds
    with unit_of_work(clients.sessions()) as session:
        return [
            record_send(
                session,
                send_id=claim.send_id,
                ok=outcome.error is None,
                error=outcome.error,
                now=clock(),
                backoff_seconds=backoff,
                permanent=outcome.permanent,
            )
            for claim, outcome in results
        ]


def deliver_sends(
    clients: NurtureMailClients,
    send_ids: Iterable[int],
    *,
    clock: Callable[[], datetime] = _utcnow,
) -> list[SendRecorded]:
    """Claim, send and record these sends; return what happened to those that were ours to send.

    To the outbox folder, sends go in batches (one claim and one record transaction each; the
    file names make a retry harmless). Over SMTP each send is claimed, sent and recorded on its
    own, so a crash repeats at most the one message in flight.
    """
    ids = list(dict.fromkeys(int(i) for i in send_ids))
    batch = 1 if clients.uses_smtp else OUTBOX_BATCH
    recorded: list[SendRecorded] = []
    for start in range(0, len(ids), batch):
        claims = _claim_all(clients, ids[start : start + batch], clock=clock)
        if not claims:
            continue
        # Over SMTP a batch is one send; in the folder, the names are synced once per batch.
        results = [(claim, _send(clients, claim, sync=clients.uses_smtp)) for claim in claims]
        if not clients.uses_smtp:
            clients.sync_outbox()
        recorded.extend(_record_all(clients, results, clock=clock))
    return recorded


def queue_due_sends(app: Celery, clients: NurtureMailClients, *, now: datetime) -> int:
    """Queue delivery of every pending send that is due; return how many."""
    with clients.sessions()() as session:
        ids = due_send_ids(session, now=now, limit=SWEEP_LIMIT)
    for start in range(0, len(ids), SWEEP_CHUNK):
        app.send_task(SEND_TASK, args=[ids[start : start + SWEEP_CHUNK]])
    return len(ids)


def register_nurture_delivery_tasks(app: Celery, settings: Settings) -> None:
    """Register `nurture.send_emails` and the periodic `nurture.retry_sends`."""
    clients = NurtureMailClients(settings)

    @app.task(name=SEND_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def send_emails(send_ids: list[int]) -> dict[str, int]:
        """Send each of these once: a sent, suppressed, dead or already-claimed one is skipped."""
        recorded = deliver_sends(clients, send_ids)
        counts: dict[str, int] = {}
        for outcome in recorded:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    @app.task(name=RETRY_SENDS_TASK, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def retry_sends() -> int:
        """Queue every pending send whose next attempt is due."""
        return queue_due_sends(app, clients, now=_utcnow())
