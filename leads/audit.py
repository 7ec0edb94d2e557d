"""Repository of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.models import AuditEntry, utcnow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append an entry to the audit log."""
    entry = AuditEntry(
        actor=actor[:100],
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(entry)
    return entry


def entries_for(session: Session, *, subject_type: str, subject_id: str) -> list[AuditEntry]:
    """Return a subject's audit entries, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(query))
