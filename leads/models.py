"""SQLAlchemy models of the store of record."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return the time in UTC; a naive time (SQLite reads them back so) is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TITLE_MAX = 500
# A lead that bought: routing still routes it (to its owner, to onboarding) but keeps the status.
CUSTOMER_STATUS = "customer"


class Base(DeclarativeBase):
    """Base of every model."""


class ApiKey(Base):
    """An API key: only its SHA-256 is kept; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    # The rep a person's key speaks for (a rep taking over a chat); NULL for systems.
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SourceDocument(Base):
    """An ingested file: its content hash decides whether it is re-embedded."""

    __tablename__ = "source_documents"
    __table_args__ = (UniqueConstraint("root", "path", name="uq_source_documents_root_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root: Mapped[str] = mapped_column(Text, index=True)
    path: Mapped[str] = mapped_column(Text)
    # A SHA-256 in hex, or "pending:" and one while the file is being written.
    content_hash: Mapped[str] = mapped_column(String(80))
    visibility: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    chunk_count: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IngestJob(Base):
    """A queued ingest: its id is the Celery task id, so unknown ids can be told apart."""

    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(4096))
    visibility: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The lead store. Column sizes are PostgreSQL limits too: intake checks them before writing.
EMAIL_MAX = 320
EVENT_ID_MAX = 100
EVENT_TYPE_MAX = 40
IDENTITY_MAX = 320
UTM_MAX = 255
REFERRER_MAX = 2048
CHANNEL_MAX = 32
NAME_MAX = 200
CURRENCY_MAX = 3
PLAN_MAX = 100
PERIOD_MAX = 20
PURPOSE_MAX = 50


class Rep(Base):
    """A sales rep who can be assigned leads."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    team: Mapped[str | None] = mapped_column(String(100), nullable=True)
    territory: Mapped[str | None] = mapped_column(String(100), nullable=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Routing: which segments the rep sells to, whether they take leads now, whether they lead
    # their team, and the smooth weighted round robin's running credit.
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    rr_credit: Mapped[float] = mapped_column(Float, default=0.0)
    # Calendar settings, in the rep's time zone: day names ("mon"…"sun"), "HH:MM" hours.
    working_days: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["mon", "tue", "wed", "thu", "fri"]
    )
    work_start: Mapped[str] = mapped_column(String(5), default="09:00")
    work_end: Mapped[str] = mapped_column(String(5), default="17:00")
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=30)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Account(Base):
    """A company, keyed by its web domain, with its firmographics."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    name: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True)
    employees_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    country: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Lead(Base):
    """A person (known by email) or a visitor (known by anonymous ids), with first/last touch."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lowercased; NULL for anonymous visitors (NULLs never collide in a unique constraint).
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True, nullable=True)
    name: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    company: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    role: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    team_size: Mapped[str | None] = mapped_column(String(50), nullable=True)
    timeline: Mapped[str | None] = mapped_column(String(100), nullable=True)
    budget: Mapped[str | None] = mapped_column(String(100), nullable=True)
    use_case: Mapped[str | None] = mapped_column(Text, nullable=True)
    country: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # An IANA zone ("Europe/Berlin"); when unset, nurture guesses one from the country.
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="new")
    first_touch_source: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    first_touch_medium: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    first_touch_campaign: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    first_touch_referrer: Mapped[str | None] = mapped_column(String(REFERRER_MAX), nullable=True)
    first_touch_channel: Mapped[str | None] = mapped_column(String(CHANNEL_MAX), nullable=True)
    first_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_touch_source: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    last_touch_medium: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    last_touch_campaign: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    last_touch_referrer: Mapped[str | None] = mapped_column(String(REFERRER_MAX), nullable=True)
    last_touch_channel: Mapped[str | None] = mapped_column(String(CHANNEL_MAX), nullable=True)
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id"), nullable=True, index=True
    )

    def set_routing_status(self, status: str) -> None:
        """Record where routing put the lead, unless it already bought (a customer stays one)."""
        if self.status != CUSTOMER_STATUS:
            self.status = status


class LeadIdentity(Base):
    """One way a lead is recognised: an email, an anonymous id or an external (CRM) id."""

    __tablename__ = "lead_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_lead_identities_kind_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(IDENTITY_MAX))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Event(Base):
    """Something a lead did; append-only, keyed by the client's event id for idempotency."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_lead_id_occurred_at", "lead_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_MAX), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_MAX))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    utm_source: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    utm_medium: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    utm_campaign: Mapped[str | None] = mapped_column(String(UTM_MAX), nullable=True)
    referrer: Mapped[str | None] = mapped_column(String(REFERRER_MAX), nullable=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_MAX))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(CURRENCY_MAX), nullable=True)
    plan: Mapped[str | None] = mapped_column(String(PLAN_MAX), nullable=True)
    period: Mapped[str | None] = mapped_column(String(PERIOD_MAX), nullable=True)


class Consent(Base):
    """A consent decision for one purpose; the latest recorded per purpose wins."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_lead_id_purpose_recorded_at", "lead_id", "purpose", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Conversation(Base):
    """A chat session with the assistant."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), nullable=True, index=True)
    # The visitor id the chat's lead events carry until the prospect gives an email.
    anonymous_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The latest "talk to a person", for the router; the rep holding the chat, if one took it.
    handoff_requested_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), nullable=True)
    taken_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Message(Base):
    """One turn of a conversation."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # Citations, actions, intent and confidence of an assistant turn.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Assignment states that still tie a lead to its rep; one such row per lead at most.
LIVE_ASSIGNMENT_STATES = ("offered", "accepted")


class Assignment(Base):
    """A lead handed to a rep: offered, accepted, then closed, missed (SLA) or re-assigned."""

    __tablename__ = "assignments"
    __table_args__ = (
        # Two workers can never both hand out the same lead: the second insert fails.
        Index(
            "uq_assignments_live_lead",
            "lead_id",
            unique=True,
            sqlite_where=text("state IN ('offered', 'accepted')"),
            postgresql_where=text("state IN ('offered', 'accepted')"),
        ),
        Index("ix_assignments_state_sla_due_at", "state", "sla_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="offered")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Which offer of this lead this is (1 = first), its band and the reasons it was routed.
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    band: Mapped[str | None] = mapped_column(String(10), nullable=True)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What the lead needs of a rep, kept so an SLA miss can re-offer it to the next match.
    segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    territory: Mapped[str | None] = mapped_column(String(100), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sla_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Reps who let this lead's SLA lapse in the current round: not offered it again.
    excluded_rep_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(20), nullable=True)
    disposition_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class QueuedLead(Base):
    """A lead waiting for a rep with room: drained oldest-first when capacity frees."""

    __tablename__ = "routing_queue"
    __table_args__ = (Index("ix_routing_queue_queued_at", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    segment: Mapped[str] = mapped_column(String(100))
    team: Mapped[str | None] = mapped_column(String(100), nullable=True)
    territory: Mapped[str | None] = mapped_column(String(100), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    band: Mapped[str] = mapped_column(String(10))
    probability: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Reps who let this lead's SLA lapse in the current round: not offered it again.
    excluded_rep_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    preferred_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    why: Mapped[str] = mapped_column(String(200))


class RoutingDecision(Base):
    """What the routing policy decided for a lead, and why: the history a person can read."""

    __tablename__ = "route_decisions"
    __table_args__ = (Index("ix_route_decisions_lead_id_decided_at", "lead_id", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    action: Mapped[str] = mapped_column(String(20))
    segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    band: Mapped[str | None] = mapped_column(String(10), nullable=True)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    sequence: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookEndpoint(Base):
    """Where a rep's or a team's lead notifications are posted, with the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id"), nullable=True, index=True)
    team: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Base):
    """One message to send (a webhook post or an email), retried until delivered or dead."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "<event>:<assignment or lead>:<channel>:<target>": the same notice is never made twice.
    key: Mapped[str] = mapped_column(String(400), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(2048))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id"), nullable=True
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Meeting(Base):
    """A meeting booked with a rep; one per rep and start time, so two bookings cannot both win."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("rep_id", "starts_at", name="uq_meetings_rep_id_starts_at"),
        Index("ix_meetings_rep_id_ends_at", "rep_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), nullable=True, index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), nullable=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Score(Base):
    """A lead's score: every one keeps the model and feature versions and its reasons."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_lead_id_scored_at", "lead_id", "scored_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    model_version: Mapped[str] = mapped_column(String(100))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    features_version: Mapped[str] = mapped_column(String(100))
    # Events of the lead the score saw: a count, not a time, so an event that commits after a
    # later-stamped score still marks the lead stale. NULL (older scores) counts as stale.
    events_seen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who did what to which subject, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The nurture tables live in their own module; importing it here registers them on Base.
import leads.nurture_models  # noqa: E402, F401
