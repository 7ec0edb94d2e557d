"""SQL of sequences, their versions and the template library's names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.nurture_models import NurtureSequence, NurtureSequenceVersion, NurtureTemplate


def find_sequence(session: Session, *, key: str) -> NurtureSequence | None:
    """Return the sequence with this key, if any."""
    return session.scalars(select(NurtureSequence).where(NurtureSequence.key == key)).first()


def list_sequences(session: Session) -> list[NurtureSequence]:
    """Return every sequence, by key."""
    return list(session.scalars(select(NurtureSequence).order_by(NurtureSequence.key)))


def find_version(
    session: Session, *, sequence_id: int, version: int
) -> NurtureSequenceVersion | None:
    """Return one version of a sequence."""
    query = select(NurtureSequenceVersion).where(
        NurtureSequenceVersion.sequence_id == sequence_id,
        NurtureSequenceVersion.version == version,
    )
    return session.scalars(query).first()


def list_versions(session: Session, *, sequence_id: int) -> list[NurtureSequenceVersion]:
    """Return a sequence's versions, newest first."""
    query = (
        select(NurtureSequenceVersion)
        .where(NurtureSequenceVersion.sequence_id == sequence_id)
        .order_by(NurtureSequenceVersion.version.desc())
    )
    return list(session.scalars(query))


def template_names(session: Session) -> set[str]:
    """Return the names in the template library."""
    return set(session.scalars(select(NurtureTemplate.name)))
