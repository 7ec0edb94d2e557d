"""Repository of lead scores: append-only, each with the model and feature versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.models import Event, Score, as_utc


def add_score(
    session: Session,
    *,
    lead_id: int,
    probability: float,
    band: str,
    model_version: str,
    features_version: str,
    reasons: list[dict[str, Any]],
    scored_at: datetime,
    events_seen: int | None = None,
) -> Score:
    """Store a new score; earlier ones stay as history."""
    score = Score(
        lead_id=lead_id,
        probability=probability,
        band=band,
        model_version=model_version,
        features_version=features_version,
        reasons=reasons,
        scored_at=as_utc(scored_at),
        events_seen=events_seen,
    )
    session.add(score)
    session.flush()
    return score


def latest_scores(session: Session, *, lead_ids: Sequence[int]) -> dict[int, Score]:
    """Return each lead's newest score."""
    if not lead_ids:
        return {}
    newest = (
        select(Score.lead_id, func.max(Score.scored_at).label("at"))
        .where(Score.lead_id.in_(lead_ids))
        .group_by(Score.lead_id)
        .subquery()
    )
    rows = session.scalars(
        select(Score).join(
            newest, (Score.lead_id == newest.c.lead_id) & (Score.scored_at == newest.c.at)
        )
    )
    return {row.lead_id: row for row in rows}


def stale_lead_ids(session: Session, *, lead_ids: Sequence[int]) -> list[int]:
    """Return the leads with events their newest score did not see (or with no score)."""
    if not lead_ids:
        return []
    # .all(): a Result has .keys(), so dict() would take it for a mapping.
    counts = dict(
        session.execute(
            select(Event.lead_id, func.count(Event.id))
            .where(Event.lead_id.in_(lead_ids))
            .group_by(Event.lead_id)
        )
        .tuples()
        .all()
    )
    seen = {k: v.events_seen for k, v in latest_scores(session, lead_ids=lead_ids).items()}
    return sorted(
        lead_id
        for lead_id, count in counts.items()
        if seen.get(lead_id) is None or count > (seen[lead_id] or 0)
    )
