"""Event intake: idempotent, per-event outcomes, never half-applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leads import consents as consents_repo
from leads import events as events_repo
from leads.accounts import link_account
from leads.channels import derive_channel
from leads.errors import InvalidEvent
from leads.event_rules import (
    CONSENT_TYPES,
    DEFAULT_PURPOSE,
    TRAIT_TYPES,
    EventIn,
    check_event,
    check_event_id,
)
from leads.identity import LEAD_TRAITS, normalise_email, resolve_lead
from leads.models import Lead, as_utc
from leads.touches import Touch, record_touch

OutcomeStatus = Literal["accepted", "duplicate", "rejected"]
_ATTEMPTS = 2


@dataclass(frozen=True)
class EventOutcome:
    """What happened to one event of a batch."""

    event_id: str
    status: OutcomeStatus
    lead_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    """Per-event outcomes, in batch order, and the leads whose score may have changed."""

    outcomes: tuple[EventOutcome, ...]
    touched_lead_ids: frozenset[int]

    def count(self, status: OutcomeStatus) -> int:
        """Return how many events had this outcome."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)


def _begin_writing(session: Session) -> None:
    # pysqlite opens its transaction lazily, at the first INSERT/UPDATE/DELETE; a SAVEPOINT sent
    # before that starts a transaction of its own that RELEASE commits, so a later rollback of the
    # batch would not undo it. A no-op UPDATE makes pysqlite send BEGIN first. (An engine-wide
    # explicit BEGIN would fix savepoints too, but turns every read into a deferred transaction
    # that fails on a stale WAL snapshot when another process writes.)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE leads SET id = id WHERE 1 = 0"))


def _apply_traits(lead: Lead, event: EventIn) -> None:
    for trait in LEAD_TRAITS:
        value = event.properties.get(trait)
        if isinstance(value, str) and value.strip():
            setattr(lead, trait, value.strip())


def _record_consent(session: Session, lead_id: int, event: EventIn) -> None:
    purpose = event.properties.get("purpose", DEFAULT_PURPOSE)
    source = event.properties.get("source")
    consents_repo.add_consent(
        session,
        lead_id=lead_id,
        purpose=purpose if isinstance(purpose, str) else DEFAULT_PURPOSE,
        granted=event.type == "consent_given",
        source=source if isinstance(source, str) and source else event.type,
        recorded_at=as_utc(event.occurred_at),
    )


def _apply(
    session: Session, event: EventIn, *, received_at: datetime, actor: str
) -> tuple[int, set[int]]:
    occurred_at = as_utc(event.occurred_at)
    resolved = resolve_lead(
        session,
        email=normalise_email(event.email) if event.email else None,
        anonymous_id=event.anonymous_id or None,
        lead_id=event.lead_id,
        seen_at=occurred_at,
        actor=actor,
    )
    lead = resolved.lead
    channel = derive_channel(
        utm_source=event.utm_source,
        utm_medium=event.utm_medium,
        referrer=event.referrer,
        event_type=event.type,
    )
    events_repo.add_event(
        session,
        event_id=event.event_id,
        lead_id=lead.id,
        type=event.type,
        occurred_at=occurred_at,
        received_at=received_at,
        properties=dict(event.properties),
        utm_source=event.utm_source,
        utm_medium=event.utm_medium,
        utm_campaign=event.utm_campaign,
        referrer=event.referrer,
        channel=channel,
        amount=event.amount,
        currency=event.currency.upper() if event.currency else None,
        plan=event.plan,
        period=event.period,
    )
    touch = Touch(
        source=event.utm_source,
        medium=event.utm_medium,
        campaign=event.utm_campaign,
        referrer=event.referrer,
        channel=channel,
        at=occurred_at,
    )
    record_touch(lead, touch)
    if event.type in TRAIT_TYPES:
        _apply_traits(lead, event)
    if lead.email is not None:
        link_account(session, lead)
    if event.type in CONSENT_TYPES:
        _record_consent(session, lead.id, event)
    session.flush()
    return lead.id, {lead.id, *resolved.merged_lead_ids}


def _duplicate_of(session: Session, event: EventIn) -> EventOutcome | None:
    stored = events_repo.find_event(session, event_id=event.event_id)
    if stored is None:
        return None
    return EventOutcome(event_id=event.event_id, status="duplicate", lead_id=stored.lead_id)


def _ingest_one(
    session: Session,
    event: EventIn,
    *,
    received_at: datetime,
    actor: str,
    stored: dict[str, int],
    touched: set[int],
) -> EventOutcome:
    try:
        check_event_id(event)
        # A stored event id answers duplicate whatever the rest says: a retry is never refused.
        if event.event_id in stored:
            return EventOutcome(
                event_id=event.event_id, status="duplicate", lead_id=stored[event.event_id]
            )
        check_event(event, received_at=received_at)
    except InvalidEvent as exc:
        return EventOutcome(event_id=event.event_id, status="rejected", reason=exc.message)
    for _attempt in range(_ATTEMPTS):
        try:
            # A savepoint per event: a failure undoes this event only, never its neighbours.
            with session.begin_nested():
                lead_id, leads = _apply(session, event, received_at=received_at, actor=actor)
        except InvalidEvent as exc:
            return EventOutcome(event_id=event.event_id, status="rejected", reason=exc.message)
        except DataError as exc:
            reason = f"invalid_field: the database refused a value ({exc.orig})"
            return EventOutcome(event_id=event.event_id, status="rejected", reason=reason[:300])
        except IntegrityError:
            # Another request stored this event id (or created this lead) meanwhile.
            duplicate = _duplicate_of(session, event)
            if duplicate is not None:
                return duplicate
            continue
        touched.update(leads)
        return EventOutcome(event_id=event.event_id, status="accepted", lead_id=lead_id)
    return EventOutcome(
        event_id=event.event_id,
        status="rejected",
        reason="conflict: a concurrent request changed the same lead; send the event again",
    )


def ingest_events(
    session: Session,
    *,
    batch: Sequence[EventIn],
    received_at: datetime,
    actor: str = "intake",
) -> IntakeResult:
    """Store a batch of events; each is accepted, a duplicate, or rejected with a reason."""
    received_at = as_utc(received_at)
    _begin_writing(session)
    # Event ids already stored, then each accepted one: a repeat in the batch is a duplicate.
    stored = events_repo.stored_lead_ids(session, event_ids=[e.event_id for e in batch])
    outcomes: list[EventOutcome] = []
    touched: set[int] = set()
    for event in batch:
        outcome = _ingest_one(
            session, event, received_at=received_at, actor=actor, stored=stored, touched=touched
        )
        if outcome.status == "accepted" and outcome.lead_id is not None:
            stored[event.event_id] = outcome.lead_id
        outcomes.append(outcome)
    return IntakeResult(outcomes=tuple(outcomes), touched_lead_ids=frozenset(touched))
