"""Load `LeadFacts` for many leads at once: one query per kind of fact, never one per lead."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.event_rules import DEFAULT_PURPOSE
from leads.identity import LEAD_TRAITS
from leads.models import (
    LIVE_ASSIGNMENT_STATES,
    Assignment,
    Consent,
    Event,
    Lead,
    QueuedLead,
    Score,
    as_utc,
)
from leads.nurture_models import NurtureSend
from nurture.definition import BranchStep
from nurture.definition import Sequence as NurtureSequence
from nurture.facts import LeadFacts
from nurture.schedule import CAP_WINDOW, lead_zone_name

# Events the exit rules read whatever the sequence; each sequence adds its goal and branches.
EXIT_EVENTS = frozenset({"purchase", "email_replied", "unsubscribe"})
COUNTED_SENDS = ("pending", "sent")


def events_read(sequences: Iterable[NurtureSequence]) -> frozenset[str]:
    """Return the event types that the exits, goals and branches of these sequences test."""
    types = set(EXIT_EVENTS)
    for sequence in sequences:
        types.add(sequence.goal)
        for step in sequence.steps:
            if isinstance(step, BranchStep):
                types.update(c.event for c, _ in step.cases if c.event is not None)
    return frozenset(types)


def reads_bands(sequences: Iterable[NurtureSequence]) -> bool:
    """Return whether any branch of these sequences tests the score band."""
    return any(
        c.bands is not None
        for sequence in sequences
        for step in sequence.steps
        if isinstance(step, BranchStep)
        for c, _ in step.cases
    )


def reads_routing(sequences: Iterable[NurtureSequence]) -> bool:
    """Return whether any of these sequences exits when the lead is handed to routing."""
    return any("became_hot" in sequence.exit_on for sequence in sequences)


def load_facts(
    session: Session,
    *,
    lead_ids: Collection[int],
    now: datetime,
    event_types: Collection[str],
    default_timezone: str = "UTC",
    bands: bool = True,
    routing: bool = True,
) -> dict[int, LeadFacts]:
    """Return the facts of each lead that exists, as of `now` (bands, routing: skip if False)."""
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    band_of = _bands(session, ids) if bands else {}
    events = _latest_events(session, ids, event_types, now)
    consents = _marketing_consents(session, ids)
    routed = _handed_to_routing(session, ids) if routing else set()
    sends = _recent_sends(session, ids, now)
    columns = [getattr(Lead, name) for name in ("id", "email", "status", *LEAD_TRAITS)]
    found: dict[int, LeadFacts] = {}
    for row in session.execute(select(*columns).where(Lead.id.in_(ids))).mappings():
        fields = {name: row[name] for name in LEAD_TRAITS}
        email = row["email"]
        fields["status"] = row["status"]
        fields["email_domain"] = email.rpartition("@")[2] if email else None
        zone_name = lead_zone_name(
            timezone=row["timezone"], country=row["country"], default=default_timezone
        )
        lead_id = row["id"]
        found[lead_id] = LeadFacts(
            lead_id=lead_id,
            email=email,
            timezone=zone_name,
            band=band_of.get(lead_id),
            fields=fields,
            events=tuple(events.get(lead_id, ())),
            marketing_consent=consents.get(lead_id),
            handed_to_routing=lead_id in routed,
            recent_sends=tuple(sends.get(lead_id, ())),
        )
    return found


def _bands(session: Session, ids: Sequence[int]) -> dict[int, str]:
    newest = (
        select(Score.lead_id, func.max(Score.scored_at).label("at"))
        .where(Score.lead_id.in_(ids))
        .group_by(Score.lead_id)
        .subquery()
    )
    query = select(Score.lead_id, Score.band).join(
        newest, (Score.lead_id == newest.c.lead_id) & (Score.scored_at == newest.c.at)
    )
    return dict(session.execute(query).tuples().all())


def _latest_events(
    session: Session, ids: Sequence[int], types: Collection[str], now: datetime
) -> dict[int, list[tuple[str, datetime]]]:
    if not types:
        return {}
    query = (
        select(Event.lead_id, Event.type, func.max(Event.occurred_at))
        .where(Event.lead_id.in_(ids), Event.type.in_(sorted(types)), Event.occurred_at <= now)
        .group_by(Event.lead_id, Event.type)
    )
    found: dict[int, list[tuple[str, datetime]]] = {}
    for lead_id, kind, at in session.execute(query).tuples():
        found.setdefault(lead_id, []).append((kind, as_utc(at)))
    return found


def _marketing_consents(session: Session, ids: Sequence[int]) -> dict[int, bool]:
    query = (
        select(Consent.lead_id, Consent.granted)
        .where(Consent.lead_id.in_(ids), Consent.purpose == DEFAULT_PURPOSE)
        .order_by(Consent.recorded_at, Consent.id)
    )
    # The latest recorded decision wins (then the latest stored), as leads.consents reads it.
    return dict(session.execute(query).tuples().all())


def _handed_to_routing(session: Session, ids: Sequence[int]) -> set[int]:
    assigned = select(Assignment.lead_id).where(
        Assignment.lead_id.in_(ids), Assignment.state.in_(LIVE_ASSIGNMENT_STATES)
    )
    queued = select(QueuedLead.lead_id).where(QueuedLead.lead_id.in_(ids))
    return set(session.scalars(assigned.union(queued)))


def _recent_sends(session: Session, ids: Sequence[int], now: datetime) -> dict[int, list[datetime]]:
    query = select(NurtureSend.lead_id, NurtureSend.created_at).where(
        NurtureSend.lead_id.in_(ids),
        NurtureSend.status.in_(COUNTED_SENDS),
        NurtureSend.created_at > now - CAP_WINDOW,
    )
    found: dict[int, list[datetime]] = {}
    for lead_id, at in session.execute(query).tuples():
        found.setdefault(lead_id, []).append(as_utc(at))
    return found
