"""Repository of chat conversations and their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
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
    id: int = 0


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
    query = select(Conversation).where(Conversation.session_id == session_id)
    row = session.scalars(query).one_or_none()
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


def transcript(
    session: Session, *, conversation: Conversation, after_id: int = 0
) -> list[MessageView]:
    """Return a conversation's turns, oldest first (only those after a message id, if given)."""
    query = select(Message).where(Message.conversation_id == conversation.id)
    if after_id:
        query = query.where(Message.id > after_id)
    rows = session.scalars(query.order_by(Message.created_at, Message.id))
    return [
        MessageView(r.role, r.text, as_utc(r.created_at), dict(r.meta or {}), r.id) for r in rows
    ]


def open_handoffs(session: Session, *, limit: int = 100) -> list[Conversation]:
    """Return chats whose prospect asked for a person and that no rep holds, oldest first."""
    query = (
        select(Conversation)
        .where(Conversation.handoff_requested_at.is_not(None), Conversation.rep_id.is_(None))
        .order_by(Conversation.handoff_requested_at, Conversation.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_conversation(
    session: Session, *, conversation: Conversation, rep_id: int, at: datetime
) -> bool:
    """Give a free chat to a rep; False if another rep holds it (one atomic UPDATE, no race)."""
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.rep_id.is_(None))
        .values(rep_id=rep_id, taken_over_at=at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(conversation)
    return bool(getattr(result, "rowcount", 0))


def release_conversation(session: Session, *, conversation: Conversation) -> None:
    """Give a chat back to the assistant."""
    conversation.rep_id = None
    conversation.taken_over_at = None
    session.flush()
