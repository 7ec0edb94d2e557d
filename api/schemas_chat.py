"""Request and response bodies of the chat routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from assistant.chat import MAX_MESSAGE_CHARS


class ChatMessageIn(BaseModel):
    """A prospect's message."""

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class CitationOut(BaseModel):
    """A numbered source: `[n]` in the answer."""

    n: int
    title: str
    url: str | None
    source: str


class SlotOut(BaseModel):
    """A meeting time offered: the rep, and start/end with the rep's UTC offset."""

    rep_id: int
    rep_name: str
    start: str
    end: str
    timezone: str


class ActionOut(BaseModel):
    """A next step offered: checkout, a meeting (with its slots), or a person."""

    kind: str
    label: str
    plan: str | None = None
    period: str | None = None
    url: str | None = None
    slots: list[SlotOut] | None = None


class ChatAnswerOut(BaseModel):
    """The assistant's answer to one message."""

    answer: str
    citations: list[CitationOut]
    actions: list[ActionOut]
    confidence: float
    intent: str
    not_covered: bool
    lead_id: int | None
    rep: str | None = Field(
        default=None,
        description="The rep holding the chat: the assistant did not answer (answer is empty)",
    )
    asked: str | None = Field(
        default=None, description="`email_consent` when the answer ends asking consent to email"
    )


class TranscriptMessageOut(BaseModel):
    """One turn of a transcript: role prospect, assistant, rep, or system (a rep joined/left)."""

    id: int
    role: str
    text: str
    created_at: datetime
    meta: dict[str, Any]


class CheckoutOfferOut(BaseModel):
    """What a checkout link offers, at the exact price it was offered at."""

    plan_id: str
    plan_name: str
    period: str
    unit_price: str
    currency: str
    lead_id: int | None
    issued_at: datetime
    expires_at: datetime


class ConsentIn(BaseModel):
    """A consent decision given in the chat (the widget's yes/no buttons)."""

    purpose: str = Field(default="email", pattern=r"^[a-z][a-z_]{0,49}$")
    granted: bool


class ConsentOut(BaseModel):
    """The decision as recorded, and what the assistant replied."""

    purpose: str
    granted: bool
    lead_id: int | None
    text: str


class TakeoverIn(BaseModel):
    """Which rep takes the chat: a rep key's own rep, or (an admin key) the rep named here."""

    rep_id: int | None = None


class RepMessageIn(BaseModel):
    """A rep's message in a chat they hold."""

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    rep_id: int | None = None


class HoldOut(BaseModel):
    """Who holds a chat now (null: the assistant)."""

    session_id: str
    rep_id: int | None
    rep_name: str | None


class MeetingIn(BaseModel):
    """A slot to book: the rep and the start, with its offset, as the slot gave it."""

    rep_id: int
    start: datetime


class MeetingOut(BaseModel):
    """A booked meeting and the confirmation the transcript shows."""

    meeting_id: int
    rep_id: int
    rep_name: str
    start: str
    end: str
    timezone: str
    confirmation: str
    lead_id: int | None


class HandoffOut(BaseModel):
    """A chat whose prospect asked for a person and that no rep holds yet."""

    session_id: str
    lead_id: int | None
    requested_at: datetime
