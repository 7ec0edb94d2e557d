"""Repository of chat conversations and their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.errors import ConversationNotFound
from leads.models import Conversation, Message, as_utc


@dataclass(frozen=True)
class MessageView:
    """One turn as the transcript shows it."""

    role: str
    text: str
    created_at: datetime
    meta: dict[str, Any]


def start_conversation(
    session: Session, *, session_id: str, anonymous_id: str, at: datetime
) -> Conversation:
    """Start a chat conversation for a new session."""
    row = Conversation(session_id=session_id, anonymous_id=anonymous_id, started_at=at)
    session.add(row)
    session.flush()
    return row


def get_conversation(session: Session, *, session_id: str) -> Conversation:
    """Return a conversation by its session id."""
    row = session.scalars(
        select(Conversation).where(Conversation.session_id == session_id)
    ).one_or_none()
    if row is None:
        raise ConversationNotFound(f"no chat session {session_id!r}: start one first")
    return row


def add_message(
    session: Session,
    *,
    conversation: Conversation,
    role: str,
    text: str,
    at: datetime,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Append a turn to a conversation."""
    row = Message(
        conversation_id=conversation.id, role=role, text=text, created_at=at, meta=meta or {}
    )
    session.add(row)
    session.flush()
    return row


def transcript(session: Session, *, conversation: Conversation) -> list[MessageView]:
    """Return a conversation's turns, oldest first."""
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.created_at, Message.id)
    )
    return [MessageView(r.role, r.text, as_utc(r.created_at), dict(r.meta or {})) for r in rows]
