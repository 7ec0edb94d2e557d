"""Send nurture email from the outbox: claim a send, mail it outside any transaction, record it.

`claim_send` and `record_send` are two short transactions around the network call, so no lock
is held while a mail server talks. A claim is a compare-and-set on a pending, due send that
pushes its next attempt a lease ahead and counts the attempt: a second worker (a redelivered
task, the retry sweep) finds it not due and leaves it alone. A worker that dies mid-send leaves
the send pending; when the lease runs out the sweep claims it again.

Consent is checked in the claim itself, right before the message is built: a lead without an
address, one who unsubscribed or withdrew marketing consent, or whose enrollment exited or
converted, is `suppressed` (never sent). A template that fails for this lead keeps the send
pending with the reason and a backoff, then `dead` after the last retry. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.catalog import Catalog
from leads import audit
from leads.models import Lead, as_utc
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog
from nurture.config import NurtureConfig
from nurture.errors import SendNotDead, SendNotFound, TemplateNotFound
from nurture.message import build_message, message_id_for
from nurture.personalisation import MailLinks, render_for_lead
from nurture.rendering import RenderedEmail, RenderFailed
from nurture.send_batch import SendFacts, load_facts, standing_consents
from nurture.templates import get_template

ACTOR = "nurture-mailer"
ERROR_CHARS = 2000
STATUSES = ("pending", "sent", "suppressed", "dead")
# An enrollment in these states sends nothing more; `completed` still sends its last email.
_ENDED = ("exited", "converted")


@dataclass(frozen=True)
class SendClaim:
    """One attempt at a send: the message, built and personalised, ready for the transport."""

    send_id: int
    lead_id: int
    to_email: str
    message_id: str
    attempt: int
    message: EmailMessage = field(repr=False, compare=False)


@dataclass(frozen=True)
class SendRecorded:
    """A send after an attempt: sent, pending (retry at next_attempt_at), dead or suppressed."""

    send_id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class SendRow:
    """A send as listed to an operator."""

    id: int
    lead_id: int
    to_email: str | None
    template: str
    step_id: str
    variant: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    clicked_at: datetime | None


def _recorded(row: NurtureSend) -> SendRecorded:
    due = as_utc(row.next_attempt_at) if row.status == "pending" else None
    return SendRecorded(row.id, row.status, row.attempts, due, row.last_error)


def log_step(session: Session, send: NurtureSend, *, kind: str, detail: str, at: datetime) -> None:
    """Add a step-log row for a send (sent, clicked, skipped, error)."""
    session.add(
        NurtureStepLog(
            enrollment_id=send.enrollment_id,
            sequence_id=send.sequence_id,
            version=send.version,
            step_id=send.step_id,
            variant=send.variant,
            kind=kind,
            detail=detail[:300],
            at=at,
        )
    )


def marketing_consent(session: Session, *, lead_id: int) -> tuple[bool, str] | None:
    """Return the lead's standing marketing decision and its source, if any was recorded."""
    return standing_consents(session, [lead_id]).get(lead_id)


def suppression_reason(
    *, lead: Lead | None, consent: tuple[bool, str] | None, enrollment: Enrollment | None
) -> str | None:
    """Return why a send must not go out now, or None if it may."""
    if lead is None:
        return "the lead no longer exists"
    if not lead.email:
        return "the lead has no email address"
    if consent is not None and not consent[0]:
        source = consent[1]
        if "unsubscribe" in source:
            return f"the lead unsubscribed ({source})"
        return f"the lead withdrew marketing consent ({source})"
    if enrollment is None:
        return "the enrollment no longer exists"
    if enrollment.status in _ENDED:
        why = f": {enrollment.exit_reason}" if enrollment.exit_reason else ""
        return f"the enrollment ended ({enrollment.status}{why})"
    return None


def _suppress(session: Session, send: NurtureSend, *, reason: str, now: datetime) -> None:
    send.status, send.last_error, send.next_attempt_at = "suppressed", reason, now
    log_step(session, send, kind="skipped", detail=f"not sent: {reason}", at=now)


def _bury(session: Session, send: NurtureSend, *, now: datetime) -> None:
    send.status = "dead"
    log_step(session, send, kind="error", detail=send.last_error or "dead", at=now)
    audit.record(
        session,
        actor=ACTOR,
        action="nurture.send_dead",
        subject_type="lead",
        subject_id=str(send.lead_id),
        detail={
            "send_id": send.id,
            "template": send.template,
            "to": send.to_email,
            "attempts": send.attempts,
            "error": send.last_error,
        },
        at=now,
    )


def _fail(
    session: Session,
    send: NurtureSend,
    *,
    error: str,
    now: datetime,
    backoff_seconds: Sequence[int],
    permanent: bool = False,
) -> None:
    send.last_error = error[:ERROR_CHARS]
    attempt = max(send.attempts, 1)
    if permanent or attempt > len(backoff_seconds):
        _bury(session, send, now=now)
    else:
        send.next_attempt_at = now + timedelta(seconds=backoff_seconds[attempt - 1])


def _take(
    session: Session, *, send_ids: Sequence[int], now: datetime, lease_s: float
) -> list[NurtureSend]:
    """Compare-and-set: take the pending, due ones of these sends; return them by id."""
    ids = list(dict.fromkeys(send_ids))
    if not ids:
        return []
    taken = session.scalars(
        update(NurtureSend)
        .where(
            NurtureSend.id.in_(ids),
            NurtureSend.status == "pending",
            NurtureSend.next_attempt_at <= now,
        )
        .values(attempts=NurtureSend.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_s))
        .returning(NurtureSend.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        return []
    query = (
        select(NurtureSend)
        .where(NurtureSend.id.in_(taken))
        .order_by(NurtureSend.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def _build(
    session: Session,
    send: NurtureSend,
    facts: SendFacts,
    *,
    now: datetime,
    config: NurtureConfig,
    catalog: Catalog | None,
    track_opens: bool,
) -> SendClaim | None:
    lead = facts.leads.get(send.lead_id)
    consent = facts.consents.get(lead.id) if lead is not None else None
    enrollment = facts.enrollments.get(send.enrollment_id)
    reason = suppression_reason(lead=lead, consent=consent, enrollment=enrollment)
    if reason is not None:
        _suppress(session, send, reason=reason, now=now)
        return None
    assert lead is not None  # suppression_reason checked it
    assert lead.email
    try:
        parts = facts.templates.get(send.template)
        if parts is None:  # raises TemplateNotFound, naming the templates there are
            parts = get_template(session, name=send.template).parts()
        rendered = render_for_lead(
            session,
            template=parts,
            lead=lead,
            config=config,
            catalog=catalog,
            send_id=send.id,
            pages=facts.pages.get(lead.id),
        )
    except (RenderFailed, TemplateNotFound) as exc:
        _fail(session, send, error=exc.message, now=now, backoff_seconds=config.retry_seconds)
        return None
    return _claim_of(
        send, lead, rendered, now=now, config=config, catalog=catalog, track_opens=track_opens
    )


def _claim_of(
    send: NurtureSend,
    lead: Lead,
    rendered: RenderedEmail,
    *,
    now: datetime,
    config: NurtureConfig,
    catalog: Catalog | None,
    track_opens: bool,
) -> SendClaim:
    assert lead.email
    links = MailLinks(config=config, catalog=catalog, send_id=send.id, lead_id=lead.id)
    message_id = message_id_for(send.id, sender=config.sender, public_url=config.public_url)
    message = build_message(
        rendered,
        send_id=send.id,
        sender=config.sender,
        to_email=lead.email,
        to_name=lead.name,
        unsubscribe_url=links.unsubscribe_url(),
        message_id=message_id,
        at=now,
        open_url=links.open_url() if track_opens else None,
    )
    send.to_email, send.subject, send.message_id = lead.email, rendered.subject, message_id
    return SendClaim(
        send_id=send.id,
        lead_id=lead.id,
        to_email=lead.email,
        message_id=message_id,
        attempt=send.attempts,
        message=message,
    )


def claim_sends(
    session: Session,
    *,
    send_ids: Sequence[int],
    now: datetime,
    lease_s: float,
    config: NurtureConfig,
    catalog: Catalog | None,
    track_opens: bool = False,
) -> list[SendClaim]:
    """Take the due ones of these sends for one attempt each and build their messages.

    A send that must not go out is suppressed, one whose template fails waits (or is dead);
    neither is returned. The facts of the whole batch are read in a few queries.
    """
    sends = _take(session, send_ids=send_ids, now=now, lease_s=lease_s)
    if not sends:
        return []
    facts = load_facts(session, sends)
    claims = []
    for send in sends:
        claim = _build(
            session, send, facts, now=now, config=config, catalog=catalog, track_opens=track_opens
        )
        if claim is not None:
            claims.append(claim)
    return claims


def claim_send(
    session: Session,
    *,
    send_id: int,
    now: datetime,
    lease_s: float,
    config: NurtureConfig,
    catalog: Catalog | None,
    track_opens: bool = False,
) -> SendClaim | None:
    """Take a due send for one attempt and build its message; None if it is not to be sent now."""
    claims = claim_sends(
        session,
        send_ids=[send_id],
        now=now,
        lease_s=lease_s,
        config=config,
        catalog=catalog,
        track_opens=track_opens,
    )
    return claims[0] if claims else None


def record_send(
    session: Session,
    *,
    send_id: int,
    ok: bool,
    error: str | None,
    now: datetime,
    backoff_seconds: Sequence[int],
    permanent: bool = False,
) -> SendRecorded:
    """Record an attempt: sent, a retry after the next backoff, or dead (last retry, or refused)."""
    send = session.get(NurtureSend, send_id, with_for_update=True, populate_existing=True)
    if send is None:
        raise SendNotFound(f"no nurture send with id {send_id}")
    if send.status != "pending":  # settled meanwhile (a slower twin attempt): keep that
        return _recorded(send)
    if ok:
        send.status, send.sent_at, send.next_attempt_at = "sent", now, now
        send.last_error = None
        log_step(session, send, kind="sent", detail=send.template, at=now)
        return _recorded(send)
    _fail(
        session,
        send,
        error=error or "failed (no reason given)",
        now=now,
        backoff_seconds=backoff_seconds,
        permanent=permanent,
    )
    return _recorded(send)


def due_send_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Return pending sends whose next attempt is due, the longest waiting first."""
    query = (
        select(NurtureSend.id)
        .where(NurtureSend.status == "pending", NurtureSend.next_attempt_at <= now)
        .order_by(NurtureSend.next_attempt_at, NurtureSend.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def retry_dead(
    session: Session, *, send_id: int, now: datetime, actor: str = "operator"
) -> SendRecorded:
    """Put a dead send back to pending with a fresh round of retries, due now."""
    send = session.get(NurtureSend, send_id, with_for_update=True)
    if send is None:
        raise SendNotFound(f"no nurture send with id {send_id}: see `clinch nurture sends`")
    if send.status != "dead":
        raise SendNotDead(
            f"nurture send {send_id} is {send.status}, not dead: "
            "only a send that ran out of retries is retried by hand"
        )
    send.status, send.attempts, send.next_attempt_at = "pending", 0, now
    audit.record(
        session,
        actor=actor,
        action="nurture.send_retried",
        subject_type="lead",
        subject_id=str(send.lead_id),
        detail={"send_id": send.id, "template": send.template, "last_error": send.last_error},
        at=now,
    )
    return _recorded(send)


def send_rows(session: Session, *, status: str | None = None, limit: int = 50) -> list[SendRow]:
    """Return sends, the newest first, optionally of one status."""
    query = select(NurtureSend).order_by(NurtureSend.id.desc()).limit(limit)
    if status is not None:
        query = query.where(NurtureSend.status == status)
    return [
        SendRow(
            id=s.id,
            lead_id=s.lead_id,
            to_email=s.to_email,
            template=s.template,
            step_id=s.step_id,
            variant=s.variant,
            status=s.status,
            attempts=s.attempts,
            next_attempt_at=as_utc(s.next_attempt_at),
            last_error=s.last_error,
            created_at=as_utc(s.created_at),
            sent_at=as_utc(s.sent_at) if s.sent_at else None,
            clicked_at=as_utc(s.clicked_at) if s.clicked_at else None,
        )
        for s in session.scalars(query)
    ]
