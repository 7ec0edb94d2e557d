"""Repository of consent decisions: append-only, the latest per purpose wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.models import Consent


def add_consent(
    session: Session,
    *,
    lead_id: int,
    purpose: str,
    granted: bool,
    source: str,
    recorded_at: datetime,
) -> Consent:
    """Record a consent decision for one purpose."""
    consent = Consent(
        lead_id=lead_id,
        purpose=purpose,
        granted=granted,
        source=source[:100],
        recorded_at=recorded_at,
    )
    session.add(consent)
    session.flush()
    return consent


def current_consents(session: Session, *, lead_id: int) -> dict[str, bool]:
    """Return each purpose's standing decision: the latest recorded (then latest stored) wins."""
    query = (
        select(Consent.purpose, Consent.granted)
        .where(Consent.lead_id == lead_id)
        .order_by(Consent.recorded_at, Consent.id)
    )
    return {row.purpose: row.granted for row in session.execute(query)}
