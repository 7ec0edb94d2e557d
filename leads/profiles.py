"""A lead as people read it: profile, identities, touches, latest score, recent events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.accounts import AccountView, get_account_view
from leads.consents import current_consents
from leads.errors import LeadNotFound
from leads.events import recent_events
from leads.identity import identities_of
from leads.lead_list import score_summary
from leads.models import Event, Lead, Score, as_utc
from leads.touches import Touch, first_touch, last_touch


@dataclass(frozen=True)
class IdentityView:
    """One way the lead is recognised."""

    kind: str
    value: str


@dataclass(frozen=True)
class ScoreView:
    """A stored score with the versions that made it."""

    probability: float
    summary: str
    band: str
    model_version: str
    features_version: str
    reasons: list[dict[str, Any]]
    scored_at: datetime


@dataclass(frozen=True)
class EventView:
    """A stored event."""

    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    channel: str
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    referrer: str | None
    properties: dict[str, Any]
    amount: Decimal | None
    currency: str | None
    plan: str | None
    period: str | None


@dataclass(frozen=True)
class LeadView:
    """A lead with what a rep or marketer needs to see."""

    id: int
    email: str | None
    name: str | None
    company: str | None
    role: str | None
    team_size: str | None
    timeline: str | None
    budget: str | None
    use_case: str | None
    account_id: int | None
    account: AccountView | None
    status: str
    created_at: datetime
    last_seen_at: datetime | None
    merged_into_id: int | None
    identities: tuple[IdentityView, ...]
    first_touch: Touch | None
    last_touch: Touch | None
    consents: dict[str, bool]
    score: ScoreView | None
    events: tuple[EventView, ...]


def latest_score(session: Session, *, lead_id: int) -> Score | None:
    """Return the lead's newest score."""
    query = (
        select(Score)
        .where(Score.lead_id == lead_id)
        .order_by(Score.scored_at.desc(), Score.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def _score_view(score: Score | None) -> ScoreView | None:
    if score is None:
        return None
    return ScoreView(
        probability=score.probability,
        summary=score_summary(score.probability),
        band=score.band,
        model_version=score.model_version,
        features_version=score.features_version,
        reasons=list(score.reasons),
        scored_at=as_utc(score.scored_at),
    )


def _event_view(event: Event) -> EventView:
    return EventView(
        event_id=event.event_id,
        type=event.type,
        occurred_at=as_utc(event.occurred_at),
        received_at=as_utc(event.received_at),
        channel=event.channel,
        utm_source=event.utm_source,
        utm_medium=event.utm_medium,
        utm_campaign=event.utm_campaign,
        referrer=event.referrer,
        properties=dict(event.properties),
        amount=event.amount,
        currency=event.currency,
        plan=event.plan,
        period=event.period,
    )


def get_lead_view(session: Session, *, lead_id: int, events_limit: int = 50) -> LeadView:
    """Return a lead with its identities, touches, consents, latest score and latest events."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead has id {lead_id}")
    return LeadView(
        id=lead.id,
        email=lead.email,
        name=lead.name,
        company=lead.company,
        role=lead.role,
        team_size=lead.team_size,
        timeline=lead.timeline,
        budget=lead.budget,
        use_case=lead.use_case,
        account_id=lead.account_id,
        account=get_account_view(session, account_id=lead.account_id) if lead.account_id else None,
        status=lead.status,
        created_at=as_utc(lead.created_at),
        last_seen_at=as_utc(lead.last_seen_at) if lead.last_seen_at else None,
        merged_into_id=lead.merged_into_id,
        identities=tuple(
            IdentityView(kind=i.kind, value=i.value)
            for i in identities_of(session, lead_id=lead.id)
        ),
        first_touch=first_touch(lead),
        last_touch=last_touch(lead),
        consents=current_consents(session, lead_id=lead.id),
        score=_score_view(latest_score(session, lead_id=lead.id)),
        events=tuple(
            _event_view(e) for e in recent_events(session, lead_id=lead.id, limit=events_limit)
        ),
    )
