"""SQLAlchemy models of nurture: sequences, versions, templates, enrollments, sends, the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from leads.models import EMAIL_MAX, NAME_MAX, Base, utcnow

SEQUENCE_KEY_MAX = 100
STEP_ID_MAX = 100
TEMPLATE_NAME_MAX = 100
ACTIVE_ENROLLMENT = "active"


class NurtureSequence(Base):
    """A nurture sequence a marketer edits; each edit is a new `NurtureSequenceVersion`."""

    __tablename__ = "nurture_sequences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(SEQUENCE_KEY_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    # A paused sequence enrolls no one new; running enrollments go on.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NurtureSequenceVersion(Base):
    """One immutable version of a sequence: its checked definition, as JSON."""

    __tablename__ = "nurture_sequence_versions"
    __table_args__ = (
        UniqueConstraint("sequence_id", "version", name="uq_nurture_versions_sequence_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("nurture_sequences.id"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NurtureTemplate(Base):
    """An email template of the library sequences name: subject, plain text and HTML (Jinja2)."""

    __tablename__ = "nurture_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Enrollment(Base):
    """A lead in a sequence: the version it runs, the step it is at and when that step is due."""

    __tablename__ = "nurture_enrollments"
    __table_args__ = (
        # A lead is in a sequence at most once at a time.
        Index(
            "uq_nurture_enrollments_active",
            "lead_id",
            "sequence_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_nurture_enrollments_status_next_run_at", "status", "next_run_at"),
        Index("ix_nurture_enrollments_sequence_id_version", "sequence_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("nurture_sequences.id"))
    version: Mapped[int] = mapped_column(Integer)
    # active → completed (ran out of steps) | converted (reached the goal) | exited (a condition).
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE_ENROLLMENT)
    step_id: Mapped[str | None] = mapped_column(String(STEP_ID_MAX), nullable=True)
    # The round of the sequence the enrollment is in: it goes up when a step leads back to a step
    # at or above itself in the file. Part of a send's key, so a loop (it has a wait in it) sends
    # its email again each round, while one round never sends a step twice.
    visit: Mapped[int] = mapped_column(Integer, default=1)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Split step id → the variant this enrollment drew.
    variants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    exit_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    steps_run: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The route decision that enrolled the lead, when routing did.
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("route_decisions.id"), nullable=True)


class NurtureSend(Base):
    """The outbox: one email step of one enrollment's visit, written with the advance itself."""

    __tablename__ = "nurture_sends"
    __table_args__ = (
        UniqueConstraint(
            "enrollment_id", "step_id", "visit", name="uq_nurture_sends_enrollment_step_visit"
        ),
        Index("ix_nurture_sends_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_nurture_sends_lead_id_created_at", "lead_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("nurture_enrollments.id"), index=True)
    step_id: Mapped[str] = mapped_column(String(STEP_ID_MAX))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    sequence_id: Mapped[int] = mapped_column(ForeignKey("nurture_sequences.id"))
    version: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX))
    variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # pending → sent | suppressed (no consent, no address: never sent) | dead (out of retries).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    to_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class NurtureStepLog(Base):
    """What happened at a step of an enrollment: the funnel and the A/B results count these."""

    __tablename__ = "nurture_step_log"
    __table_args__ = (
        Index("ix_nurture_step_log_sequence_version_step", "sequence_id", "version", "step_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("nurture_enrollments.id"), index=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("nurture_sequences.id"))
    version: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str | None] = mapped_column(String(STEP_ID_MAX), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # entered | sent | clicked | capped | quiet | skipped | converted | exited | completed | error
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
