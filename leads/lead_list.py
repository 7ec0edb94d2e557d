"""The lead list a rep works from: leads by their newest score, highest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.models import Lead, Score, as_utc

LIST_MAX = 500


@dataclass(frozen=True)
class ScoredLead:
    """One row of the list: who, their newest score and its top reasons."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    probability: float
    band: str
    model_version: str
    reasons: tuple[str, ...]
    scored_at: datetime
    last_seen_at: datetime | None


def score_summary(probability: float) -> str:
    """Return a probability as a rep reads it: "31% likely to buy" ("<1%" below one percent)."""
    percent = "<1%" if probability < 0.005 else f"{round(probability * 100)}%"
    return f"{percent} likely to buy"


def list_scored_leads(
    session: Session, *, band: str | None = None, limit: int = 50, offset: int = 0
) -> list[ScoredLead]:
    """Return unmerged leads by their newest score, highest first, optionally of one band."""
    # Newest by scoring time (as `latest_scores`), the id breaking ties.
    rank = (
        func.row_number()
        .over(partition_by=Score.lead_id, order_by=(Score.scored_at.desc(), Score.id.desc()))
        .label("rank")
    )
    ranked = select(Score.id, rank).subquery()
    query = (
        select(Lead, Score)
        .join(Score, Score.lead_id == Lead.id)
        .join(ranked, (ranked.c.id == Score.id) & (ranked.c.rank == 1))
        .where(Lead.merged_into_id.is_(None))
        .order_by(Score.probability.desc(), Lead.id)
        .limit(max(1, min(limit, LIST_MAX)))
        .offset(max(0, offset))
    )
    if band is not None:
        query = query.where(Score.band == band)
    return [_row(lead, score) for lead, score in session.execute(query).tuples()]


def _texts(reasons: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(r["text"]) for r in reasons if "text" in r)


def _row(lead: Lead, score: Score) -> ScoredLead:
    return ScoredLead(
        lead_id=lead.id,
        email=lead.email,
        name=lead.name,
        company=lead.company,
        probability=score.probability,
        band=score.band,
        model_version=score.model_version,
        reasons=_texts(score.reasons),
        scored_at=as_utc(score.scored_at),
        last_seen_at=as_utc(lead.last_seen_at) if lead.last_seen_at else None,
    )
