"""Repository of webhook endpoints: where a rep's or a team's notices are posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.errors import ClinchError
from leads.models import Rep, WebhookEndpoint


class WebhookNotFound(ClinchError):
    """No webhook endpoint has this id."""


def add_endpoint(
    session: Session,
    *,
    url: str,
    secret: str,
    now: datetime,
    rep_id: int | None = None,
    team: str | None = None,
) -> WebhookEndpoint:
    """Add an active endpoint owned by a rep or by a team."""
    endpoint = WebhookEndpoint(
        rep_id=rep_id, team=team, url=url, secret=secret, active=True, created_at=now
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, *, endpoint_id: int) -> WebhookEndpoint:
    """Return an endpoint by id."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise WebhookNotFound(f"no webhook with id {endpoint_id}: see `clinch webhooks list`")
    return endpoint


def list_endpoints(session: Session, *, include_inactive: bool = False) -> list[WebhookEndpoint]:
    """Return the endpoints, by id (the active ones unless asked for all)."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if not include_inactive:
        query = query.where(WebhookEndpoint.active.is_(True))
    return list(session.scalars(query))


def deactivate_endpoint(session: Session, *, endpoint_id: int) -> bool:
    """Stop posting to an endpoint; return False if it was already inactive."""
    endpoint = get_endpoint(session, endpoint_id=endpoint_id)
    if not endpoint.active:
        return False
    endpoint.active = False
    return True


def team_names(session: Session) -> list[str]:
    """Return the teams that reps belong to, sorted."""
    query = select(Rep.team).where(Rep.team.is_not(None)).distinct().order_by(Rep.team)
    return [t for t in session.scalars(query) if t]
