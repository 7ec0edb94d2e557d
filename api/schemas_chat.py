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


class ActionOut(BaseModel):
    """A next step offered: checkout, a meeting, or a person."""

    kind: str
    label: str
    plan: str | None = None
    period: str | None = None
    url: str | None = None


class ChatAnswerOut(BaseModel):
    """The assistant's answer to one message."""

    answer: str
    citations: list[CitationOut]
    actions: list[ActionOut]
    confidence: float
    intent: str
    not_covered: bool
    lead_id: int | None


class TranscriptMessageOut(BaseModel):
    """One turn of a transcript."""

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
