"""Sequences as versions: saving an edit makes a new version; old versions stay as they were.

Running enrollments keep the version they started on (`Enrollment.version`), so an edit never
moves someone mid-sequence. Saving content equal to the latest version changes nothing. Nothing
here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads import audit
from leads.models import as_utc
from leads.nurture_models import (
    ACTIVE_ENROLLMENT,
    Enrollment,
    NurtureSequence,
    NurtureSequenceVersion,
)
from nurture import repository
from nurture.definition import Sequence
from nurture.errors import SequenceNotFound
from nurture.sequence_file import ParsedSequence, check_sequence, sequence_of


@dataclass(frozen=True)
class SavedVersion:
    """The outcome of saving a sequence: its version now, and whether this save made it."""

    key: str
    version: int
    created: bool
    content_hash: str


@dataclass(frozen=True)
class SequenceSummary:
    """A sequence as the marketer's list shows it."""

    key: str
    name: str
    latest_version: int
    active: bool
    steps: int
    active_enrollments: int
    updated_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    """One stored version."""

    version: int
    content_hash: str
    source: str
    created_by: str
    created_at: datetime


def check(session: Session, data: object, *, source: str) -> ParsedSequence:
    """Check a definition against the template library; raise InvalidSequence naming problems."""
    return check_sequence(data, source=source, templates=repository.template_names(session))


def save_sequence(
    session: Session, parsed: ParsedSequence, *, source: str, actor: str, at: datetime
) -> SavedVersion:
    """Store a checked definition as the sequence's next version (unless it equals the latest)."""
    key = parsed.sequence.key
    sequence = repository.find_sequence(session, key=key)
    if sequence is None:
        sequence = NurtureSequence(
            key=key, name=parsed.sequence.name, latest_version=0, created_at=at, updated_at=at
        )
        session.add(sequence)
        session.flush()
    else:
        latest = repository.find_version(
            session, sequence_id=sequence.id, version=sequence.latest_version
        )
        if latest is not None and latest.content_hash == parsed.content_hash:
            return SavedVersion(
                key=key, version=latest.version, created=False, content_hash=latest.content_hash
            )
    version = sequence.latest_version + 1
    session.add(
        NurtureSequenceVersion(
            sequence_id=sequence.id,
            version=version,
            definition=parsed.definition,
            content_hash=parsed.content_hash,
            source=source[:300],
            created_by=actor[:100],
            created_at=at,
        )
    )
    sequence.latest_version = version
    sequence.name = parsed.sequence.name
    sequence.updated_at = at
    audit.record(
        session,
        actor=actor,
        action="nurture.sequence_saved",
        subject_type="sequence",
        subject_id=key,
        detail={"version": version, "source": source[:300], "hash": parsed.content_hash[:12]},
        at=at,
    )
    session.flush()
    return SavedVersion(key=key, version=version, created=True, content_hash=parsed.content_hash)


def get_sequence(session: Session, *, key: str) -> NurtureSequence:
    """Return the sequence with this key."""
    sequence = repository.find_sequence(session, key=key)
    if sequence is None:
        known = [s.key for s in repository.list_sequences(session)]
        listed = ", ".join(known) if known else "none are loaded"
        raise SequenceNotFound(f"no sequence has key {key!r} (known: {listed})")
    return sequence


def load_version(session: Session, *, key: str, version: int | None = None) -> tuple[int, Sequence]:
    """Return a version's number and steps (the latest when `version` is None)."""
    sequence = get_sequence(session, key=key)
    number = sequence.latest_version if version is None else version
    row = repository.find_version(session, sequence_id=sequence.id, version=number)
    if row is None:
        raise SequenceNotFound(
            f"sequence {key!r} has no version {number} (latest: {sequence.latest_version})"
        )
    return number, sequence_of(row.definition)


def definition_of(session: Session, *, key: str, version: int | None = None) -> dict[str, object]:
    """Return the stored definition of a version (the latest when `version` is None)."""
    sequence = get_sequence(session, key=key)
    number = sequence.latest_version if version is None else version
    row = repository.find_version(session, sequence_id=sequence.id, version=number)
    if row is None:
        raise SequenceNotFound(f"sequence {key!r} has no version {number}")
    return dict(row.definition)


def versions(session: Session, *, key: str) -> list[VersionInfo]:
    """Return a sequence's versions, newest first."""
    sequence = get_sequence(session, key=key)
    return [
        VersionInfo(
            version=v.version,
            content_hash=v.content_hash,
            source=v.source,
            created_by=v.created_by,
            created_at=as_utc(v.created_at),
        )
        for v in repository.list_versions(session, sequence_id=sequence.id)
    ]


def summaries(session: Session) -> list[SequenceSummary]:
    """Return every sequence with its step count and how many leads are in it now."""
    active = dict(
        session.execute(
            select(Enrollment.sequence_id, func.count())
            .where(Enrollment.status == ACTIVE_ENROLLMENT)
            .group_by(Enrollment.sequence_id)
        ).all()
    )
    found = []
    for sequence in repository.list_sequences(session):
        row = repository.find_version(
            session, sequence_id=sequence.id, version=sequence.latest_version
        )
        steps = len(row.definition.get("steps", [])) if row is not None else 0
        found.append(
            SequenceSummary(
                key=sequence.key,
                name=sequence.name,
                latest_version=sequence.latest_version,
                active=sequence.active,
                steps=steps,
                active_enrollments=int(active.get(sequence.id, 0)),
                updated_at=as_utc(sequence.updated_at),
            )
        )
    return found


def set_active(session: Session, *, key: str, active: bool, actor: str, at: datetime) -> None:
    """Pause a sequence (no new enrollments; running ones go on) or resume it."""
    sequence = get_sequence(session, key=key)
    if sequence.active == active:
        return
    sequence.active = active
    sequence.updated_at = at
    audit.record(
        session,
        actor=actor,
        action="nurture.sequence_resumed" if active else "nurture.sequence_paused",
        subject_type="sequence",
        subject_id=key,
        at=at,
    )
