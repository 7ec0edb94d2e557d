"""Identity resolution: find or create the lead behind an email or anonymous id, and merge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leads import audit
from leads.errors import InvalidEvent
from leads.models import (
    LIVE_ASSIGNMENT_STATES,
    Assignment,
    Consent,
    Conversation,
    Event,
    Lead,
    LeadIdentity,
    Meeting,
    Notification,
    QueuedLead,
    RoutingDecision,
    as_utc,
)
from leads.nurture_models import ACTIVE_ENROLLMENT, Enrollment, NurtureSend
from leads.touches import first_touch, last_touch, record_touch

EMAIL: Final = "email"
ANONYMOUS_ID: Final = "anonymous_id"
EXTERNAL_ID: Final = "external_id"
IDENTITY_KINDS: Final = (EMAIL, ANONYMOUS_ID, EXTERNAL_ID)
LEAD_TRAITS: Final = (
    "name",
    "company",
    "role",
    "team_size",
    "timeline",
    "budget",
    "use_case",
    "country",
    "language",
    "timezone",
)
_MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class Resolved:
    """The lead an event belongs to, and the leads merged into it on the way."""

    lead: Lead
    merged_lead_ids: tuple[int, ...] = ()


def normalise_email(value: str) -> str:
    """Return an email address as stored: trimmed and lowercased."""
    return value.strip().lower()


def current_lead(session: Session, *, lead_id: int) -> Lead | None:
    """Return the lead with this id, following merges to the lead that absorbed it."""
    lead = session.get(Lead, lead_id)
    hops = 0
    while lead is not None and lead.merged_into_id is not None and hops < _MAX_MERGE_HOPS:
        lead = session.get(Lead, lead.merged_into_id)
        hops += 1
    return lead


def find_lead(session: Session, *, kind: str, value: str) -> Lead | None:
    """Return the (current) lead known by an identity."""
    lead_id = session.scalar(
        select(LeadIdentity.lead_id).where(LeadIdentity.kind == kind, LeadIdentity.value == value)
    )
    return None if lead_id is None else current_lead(session, lead_id=lead_id)


def identities_of(session: Session, *, lead_id: int) -> list[LeadIdentity]:
    """Return a lead's identities, oldest first."""
    query = select(LeadIdentity).where(LeadIdentity.lead_id == lead_id).order_by(LeadIdentity.id)
    return list(session.scalars(query))


def add_identity(session: Session, *, lead: Lead, kind: str, value: str) -> LeadIdentity:
    """Attach an identity to a lead."""
    identity = LeadIdentity(kind=kind, value=value, lead_id=lead.id)
    session.add(identity)
    session.flush()
    return identity


def create_lead(session: Session, *, email: str | None, seen_at: datetime) -> Lead:
    """Create a lead, with its email identity when it has one."""
    lead = Lead(email=email, status="new", created_at=seen_at)
    session.add(lead)
    session.flush()
    if email is not None:
        add_identity(session, lead=lead, kind=EMAIL, value=email)
    return lead


def _settle_routing(session: Session, *, source: Lead, target: Lead, at: datetime) -> None:
    """Leave the merged lead with at most one live assignment, or else one queue place.

    Of two live assignments the accepted one stays (the target's when both are alike); the other
    closes with disposition `merged`, which is no rep's verdict on the lead.
    """

    def live(lead: Lead) -> Assignment | None:
        query = select(Assignment).where(
            Assignment.lead_id == lead.id, Assignment.state.in_(LIVE_ASSIGNMENT_STATES)
        )
        return session.scalars(query.limit(1)).first()

    source_live, target_live = live(source), live(target)
    if source_live is not None and target_live is not None:
        loser = source_live
        if source_live.state == "accepted" and target_live.state == "offered":
            loser = target_live
        loser.state, loser.disposition, loser.ended_at = "closed", "merged", at
        session.flush()
    with_rep = source_live is not None or target_live is not None
    queued_target = session.scalar(select(QueuedLead.id).where(QueuedLead.lead_id == target.id))
    if with_rep or queued_target is not None:
        session.execute(delete(QueuedLead).where(QueuedLead.lead_id == source.id))
    if with_rep:
        session.execute(delete(QueuedLead).where(QueuedLead.lead_id == target.id))


def _settle_nurture(session: Session, *, source: Lead, target: Lead, at: datetime) -> None:
    """End the source's enrollment in a sequence the target is already active in."""
    target_sequences = select(Enrollment.sequence_id).where(
        Enrollment.lead_id == target.id, Enrollment.status == ACTIVE_ENROLLMENT
    )
    session.execute(
        update(Enrollment)
        .where(
            Enrollment.lead_id == source.id,
            Enrollment.status == ACTIVE_ENROLLMENT,
            Enrollment.sequence_id.in_(target_sequences),
        )
        .values(status="exited", exit_reason="merged", finished_at=at, next_run_at=None),
        execution_options={"synchronize_session": False},
    )


def merge_leads(
    session: Session, *, source: Lead, target: Lead, actor: str, via: str, at: datetime
) -> None:
    """Move an anonymous lead's identities, events, consents, chats, meetings, routing, nurture."""
    _settle_routing(session, source=source, target=target, at=at)
    _settle_nurture(session, source=source, target=target, at=at)
    for model in (
        LeadIdentity,
        Event,
        Consent,
        Conversation,
        Meeting,
        Assignment,
        QueuedLead,
        RoutingDecision,
        Notification,
        Enrollment,
        NurtureSend,
    ):
        session.execute(
            update(model).where(model.lead_id == source.id).values(lead_id=target.id),
            execution_options={"synchronize_session": False},
        )
    session.execute(
        update(Lead).where(Lead.merged_into_id == source.id).values(merged_into_id=target.id),
        execution_options={"synchronize_session": False},
    )
    for touch in (first_touch(source), last_touch(source)):
        if touch is not None:
            record_touch(target, touch)
    for trait in LEAD_TRAITS:
        if getattr(target, trait) is None and getattr(source, trait) is not None:
            setattr(target, trait, getattr(source, trait))
    if as_utc(source.created_at) < as_utc(target.created_at):
        target.created_at = source.created_at
    source.merged_into_id = target.id
    source.status = "merged"
    audit.record(
        session,
        actor=actor,
        action="lead.merged",
        subject_type="lead",
        subject_id=str(source.id),
        detail={"into": target.id, "via": via},
        at=at,
    )
    session.flush()
    # The bulk updates bypassed the identity map: reload what they changed.
    session.expire_all()


def _explicit_lead(session: Session, lead_id: int | None) -> Lead | None:
    if lead_id is None:
        return None
    lead = current_lead(session, lead_id=lead_id)
    if lead is None:
        raise InvalidEvent("unknown_lead", f"no lead has id {lead_id}")
    return lead


def resolve_lead(
    session: Session,
    *,
    email: str | None,
    anonymous_id: str | None,
    lead_id: int | None,
    seen_at: datetime,
    actor: str,
) -> Resolved:
    """Find or create the lead of an event; merge an anonymous visitor who gives an email."""
    explicit = _explicit_lead(session, lead_id)
    by_email = find_lead(session, kind=EMAIL, value=email) if email else None
    by_anon = find_lead(session, kind=ANONYMOUS_ID, value=anonymous_id) if anonymous_id else None
    if explicit is not None and by_email is not None and by_email.id != explicit.id:
        raise InvalidEvent(
            "identity_conflict", f"the email belongs to lead {by_email.id}, not lead {explicit.id}"
        )
    target = explicit or by_email
    if target is None and by_anon is not None and (email is None or by_anon.email is None):
        target = by_anon
    if target is None:
        target = create_lead(session, email=email, seen_at=seen_at)
    elif email is not None and by_email is None:
        # The visitor told us who they are: the lead gains the email (a second one if it had one).
        if target.email is None:
            target.email = email
        add_identity(session, lead=target, kind=EMAIL, value=email)
    merged: tuple[int, ...] = ()
    if by_anon is not None and by_anon.id != target.id and by_anon.email is None:
        merge_leads(
            session, source=by_anon, target=target, actor=actor, via=ANONYMOUS_ID, at=seen_at
        )
        merged = (by_anon.id,)
    elif anonymous_id is not None and by_anon is None:
        add_identity(session, lead=target, kind=ANONYMOUS_ID, value=anonymous_id)
    return Resolved(lead=target, merged_lead_ids=merged)
