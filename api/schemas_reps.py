"""Request and response bodies of the rep's routes: their leads, actions, queue and team."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leads.models import EMAIL_MAX
from routing.rep_actions import REASON_MAX

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReassignIn(_In):
    """Hand a lead on: to the rep named by email, or (none) to the next matching rep."""

    to_rep_email: str | None = Field(default=None, min_length=3, max_length=EMAIL_MAX)
    reason: Reason


class DispositionIn(_In):
    """A lead's outcome; `lost` needs a reason."""

    outcome: Literal["qualified", "won", "lost", "nurture"]
    reason: str | None = Field(default=None, max_length=REASON_MAX)


class AvailabilityIn(_In):
    """Whether the rep takes new leads now."""

    available: bool


class RepOut(_Out):
    """The rep a key speaks for."""

    id: int
    name: str
    email: str
    team: str | None
    is_manager: bool
    available: bool


class SlaOut(_Out):
    """Where an assignment stands against its SLA (`seconds_left` while it is offered)."""

    status: Literal["pending", "overdue", "met", "late", "none"]
    due_at: datetime | None
    seconds_left: float | None


class TurnOut(_Out):
    """One turn of a chat excerpt."""

    role: str
    text: str
    at: datetime


class ChatExcerptOut(_Out):
    """The lead's latest chat; `handoff_open`: asked for a person and no rep holds it."""

    session_id: str
    turns: list[TurnOut]
    handoff_requested_at: datetime | None
    held_by_rep_id: int | None
    handoff_open: bool


class LiveLeadOut(_Out):
    """A lead a rep holds now."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    status: str
    assignment_id: int
    rep_id: int
    rep_name: str
    state: str
    attempt: int
    offered_at: datetime
    accepted_at: datetime | None
    sla: SlaOut
    probability: float
    band: str
    reasons: list[str]
    score_reasons: list[str]
    chat: ChatExcerptOut | None


class MyLeadsOut(BaseModel):
    """A rep's live leads, best score first, and the server's clock for SLA countdowns."""

    rep: RepOut
    now: datetime
    leads: list[LiveLeadOut]


class QueuedLeadOut(_Out):
    """A lead waiting for a rep with room, and why."""

    lead_id: int
    email: str | None
    name: str | None
    company: str | None
    segment: str
    band: str
    probability: float
    reasons: list[str]
    why: str
    queued_at: datetime
    attempt: int


class AssignmentOut(_Out):
    """One assignment of a lead."""

    id: int
    rep_id: int
    rep_name: str
    state: str
    attempt: int
    offered_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    sla: SlaOut
    disposition: str | None
    disposition_reason: str | None


class LeadStateOut(_Out):
    """Where a lead is after an action: its live (else latest) assignment, or why it waits."""

    lead_id: int
    status: str
    assignment: AssignmentOut | None
    queued_why: str | None


class AvailabilityOut(BaseModel):
    """The rep's availability now, and the queued leads offered to them on coming online."""

    rep: RepOut
    offered_lead_ids: list[int]


class RepSummaryOut(_Out):
    """A rep of the team."""

    rep_id: int
    name: str
    email: str
    available: bool
    active: bool
    open_leads: int
    capacity: int
    segments: list[str]


class MissOut(_Out):
    """An offer whose SLA lapsed."""

    assignment_id: int
    lead_id: int
    rep_id: int
    rep_name: str
    due_at: datetime | None
    missed_at: datetime | None


class TeamOut(_Out):
    """A manager's team: reps, live leads (most urgent first), the queue, recent SLA misses."""

    team: str | None
    reps: list[RepSummaryOut]
    leads: list[LiveLeadOut]
    queue: list[QueuedLeadOut]
    misses: list[MissOut]


class DecisionOut(_Out):
    """A routing decision and its reasons."""

    at: datetime
    action: str
    segment: str | None
    band: str | None
    probability: float | None
    sequence: str | None
    reasons: list[str]
    rules_version: str


class HistoryEntryOut(_Out):
    """One audited step: who or what did it (`actor`), what, and why."""

    at: datetime
    actor: str
    action: str
    why: list[str]
    detail: dict[str, Any]


class RoutingHistoryOut(_Out):
    """A lead's routing, oldest first."""

    lead_id: int
    status: str
    decisions: list[DecisionOut]
    entries: list[HistoryEntryOut]
    assignments: list[AssignmentOut]
