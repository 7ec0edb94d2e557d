"""Deliver notices: claim one, send it outside any transaction, record how it went.

`claim` and `record_result` are two short transactions around the network call, so no database
lock is held while a webhook is posted or a mail is sent. A claim is a compare-and-set that also
pushes the notice's next attempt a lease into the future: a second worker (a redelivered task,
the retry sweep) finds it not due and leaves it alone. A worker that dies mid-send leaves the
notice pending; once the lease runs out the sweep sends it again, so delivery is at least once
and receivers drop duplicates by the notification id. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leads import audit
from leads.models import Notification, WebhookEndpoint, as_utc
from routing.errors import NotificationNotDead, NotificationNotFound

ACTOR = "notifier"
ERROR_CHARS = 2000
STATUSES = ("pending", "delivered", "dead")


@dataclass(frozen=True)
class Claim:
    """One attempt at a notice: what to send, where, and (for a webhook) the signing secret."""

    notification_id: int
    event: str
    channel: str  # webhook | email
    target: str  # a URL or an email address
    payload: Mapping[str, Any]
    attempt: int
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Recorded:
    """A notice after an attempt: delivered, pending (a retry is due at next_attempt_at) or dead."""

    notification_id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class NoticeRow:
    """A notice as listed to an operator."""

    id: int
    event: str
    channel: str
    target: str
    lead_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _recorded(row: Notification) -> Recorded:
    due = as_utc(row.next_attempt_at) if row.status == "pending" else None
    return Recorded(row.id, row.status, row.attempts, due, row.last_error)


def _bury(session: Session, row: Notification, *, error: str, now: datetime) -> None:
    row.status = "dead"
    row.last_error = error[:ERROR_CHARS]
    where = {"endpoint_id": row.endpoint_id} if row.channel == "webhook" else {"to": row.target}
    audit.record(
        session,
        actor=ACTOR,
        action="notification.dead",
        subject_type="lead",
        subject_id=str(row.lead_id),
        detail={
            "notification_id": row.id,
            "event": row.event,
            "channel": row.channel,
            **where,
            "attempts": row.attempts,
            "error": row.last_error,
        },
        at=now,
    )


def _endpoint_secret(session: Session, row: Notification) -> tuple[str | None, str | None]:
    """Return the endpoint's secret, or why it can no longer be posted to."""
    endpoint = session.get(WebhookEndpoint, row.endpoint_id) if row.endpoint_id else None
    if endpoint is None:
        return None, "the webhook endpoint of this notice no longer exists"
    if not endpoint.active:
        return None, f"webhook {endpoint.id} was deactivated after this notice was written"
    return endpoint.secret, None


def claim(session: Session, *, notification_id: int, now: datetime, lease_s: float) -> Claim | None:
    """Take a due pending notice for one attempt; None if it is done, not due or taken."""
    taken = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == "pending",
            Notification.next_attempt_at <= now,
        )
        .values(
            attempts=Notification.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_s),
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.get(Notification, notification_id, populate_existing=True)
    assert row is not None  # the update just matched it
    secret = None
    if row.channel == "webhook":
        secret, gone = _endpoint_secret(session, row)
        if gone is not None:
            _bury(session, row, error=gone, now=now)
            return None
    return Claim(
        notification_id=row.id,
        event=row.event,
        channel=row.channel,
        target=row.target,
        payload=dict(row.payload),
        attempt=row.attempts,
        secret=secret,
    )


def record_result(
    session: Session,
    *,
    notification_id: int,
    ok: bool,
    error: str | None,
    now: datetime,
    backoff_seconds: Sequence[int],
) -> Recorded:
    """Record an attempt: delivered, a retry after the next backoff, or dead after the last."""
    row = session.get(Notification, notification_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotificationNotFound(f"no notification with id {notification_id}")
    if row.status != "pending":  # settled meanwhile (a slower twin attempt): keep that
        return _recorded(row)
    if ok:
        row.status, row.delivered_at, row.next_attempt_at = "delivered", now, now
        return _recorded(row)
    row.last_error = (error or "failed (no reason given)")[:ERROR_CHARS]
    attempt = max(row.attempts, 1)
    if attempt <= len(backoff_seconds):
        row.next_attempt_at = now + timedelta(seconds=backoff_seconds[attempt - 1])
    else:
        _bury(session, row, error=row.last_error, now=now)
    return _recorded(row)


def due_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Return pending notices whose next attempt is due, the longest waiting first."""
    query = (
        select(Notification.id)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def retry_dead(
    session: Session, *, notification_id: int, now: datetime, actor: str = "operator"
) -> Recorded:
    """Put a dead notice back to pending with a fresh round of retries, due now."""
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        raise NotificationNotFound(
            f"no notification with id {notification_id}: see `clinch notifications list`"
        )
    if row.status != "dead":
        raise NotificationNotDead(
            f"notification {notification_id} is {row.status}, not dead: "
            "only a dead notification is retried by hand"
        )
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now
    audit.record(
        session,
        actor=actor,
        action="notification.retried",
        subject_type="lead",
        subject_id=str(row.lead_id),
        detail={"notification_id": row.id, "event": row.event, "last_error": row.last_error},
        at=now,
    )
    return _recorded(row)


def list_notices(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[NoticeRow]:
    """Return notices, the newest first, optionally of one status."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Notification.status == status)
    return [
        NoticeRow(
            id=n.id,
            event=n.event,
            channel=n.channel,
            target=n.target,
            lead_id=n.lead_id,
            status=n.status,
            attempts=n.attempts,
            next_attempt_at=as_utc(n.next_attempt_at),
            last_error=n.last_error,
            created_at=as_utc(n.created_at),
            delivered_at=as_utc(n.delivered_at) if n.delivered_at else None,
        )
        for n in session.scalars(query)
    ]
