"""Repository of API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.models import ApiKey, utcnow


def add_key(
    session: Session,
    *,
    name: str,
    role: str,
    prefix: str,
    key_hash: str,
    rep_id: int | None = None,
) -> ApiKey:
    """Store a new key's hash (and the rep it speaks for, if any)."""
    key = ApiKey(name=name, role=role, prefix=prefix, key_hash=key_hash, rep_id=rep_id)
    session.add(key)
    session.flush()
    return key


def find_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    """Return the key with this prefix, revoked or not."""
    return session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()


def list_keys(session: Session) -> list[ApiKey]:
    """Return every key, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def get_key(session: Session, key_id: int) -> ApiKey | None:
    """Return a key by id."""
    return session.get(ApiKey, key_id)


def mark_used(session: Session, key: ApiKey, *, at: datetime | None = None) -> None:
    """Record when a key was last used."""
    key.last_used_at = at or utcnow()


def revoke(session: Session, key: ApiKey) -> None:
    """Revoke a key; it stays listed."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
