"""A rep takes a chat over, writes in it, and gives it back to the assistant.

While a rep holds a chat the prospect's messages are still stored and sent as lead events, but
the assistant does not answer them. A hold is taken with one conditional UPDATE, so two reps
racing for one chat cannot both get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assistant.chat import MAX_MESSAGE_CHARS
from assistant.errors import MessageRefused
from assistant.handoff_errors import ChatHeldByAnotherRep, ChatNotTakenOver, RepUnavailable
from leads import audit
from leads.conversations import (
    MessageView,
    add_message,
    claim_conversation,
    get_conversation,
    release_conversation,
)
from leads.models import Conversation, Rep, as_utc
from leads.reps import get_rep


@dataclass(frozen=True)
class Hold:
    """Who holds a chat now (None: the assistant) and the message that says so, if one was added."""

    session_id: str
    rep_id: int | None
    rep_name: str | None
    message: MessageView | None


def _view(row_id: int, role: str, text: str, at: datetime, meta: dict[str, object]) -> MessageView:
    return MessageView(role, text, as_utc(at), dict(meta), row_id)


def _holder(session: Session, conversation: Conversation) -> Rep | None:
    return get_rep(session, rep_id=conversation.rep_id) if conversation.rep_id else None


_AUDIT_ACTIONS = {"rep_joined": "chat.taken_over", "rep_left": "chat.released"}


def _announce(
    session: Session,
    conversation: Conversation,
    rep: Rep,
    event: str,
    text: str,
    *,
    actor: str,
    at: datetime,
) -> MessageView:
    """Say in the transcript that a rep joined or left, and audit it."""
    meta: dict[str, object] = {"event": event, "rep_id": rep.id, "rep_name": rep.name}
    row = add_message(
        session, conversation=conversation, role="system", text=text, at=at, meta=meta
    )
    audit.record(
        session,
        actor=actor,
        action=_AUDIT_ACTIONS[event],
        subject_type="conversation",
        subject_id=conversation.session_id,
        detail={"rep_id": rep.id},
        at=at,
    )
    return _view(row.id, "system", text, at, meta)


def take_over(session: Session, *, session_id: str, rep_id: int, at: datetime, actor: str) -> Hold:
    """Give the chat to this rep and say so in the transcript (again: no change)."""
    conversation = get_conversation(session, session_id=session_id)
    rep = get_rep(session, rep_id=rep_id)
    if not rep.active:
        raise RepUnavailable(f"{rep.name} is not an active rep")
    if conversation.rep_id == rep.id:
        return Hold(session_id, rep.id, rep.name, None)
    if not claim_conversation(session, conversation=conversation, rep_id=rep.id, at=at):
        holder = _holder(session, conversation)
        name = holder.name if holder else "another rep"
        raise ChatHeldByAnotherRep(f"{name} has already taken over this chat")
    text = f"{rep.name} from our team joined the chat"
    view = _announce(session, conversation, rep, "rep_joined", text, actor=actor, at=at)
    return Hold(session_id, rep.id, rep.name, view)


def post_as_rep(
    session: Session, *, session_id: str, rep_id: int, text: str, at: datetime
) -> MessageView:
    """Add the holding rep's message to the chat's transcript."""
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE_CHARS:
        raise MessageRefused(f"a message is 1 to {MAX_MESSAGE_CHARS} characters")
    conversation = get_conversation(session, session_id=session_id)
    rep = get_rep(session, rep_id=rep_id)
    if conversation.rep_id is None:
        raise ChatNotTakenOver("take the chat over first: POST …/takeover")
    if conversation.rep_id != rep.id:
        holder = _holder(session, conversation)
        raise ChatHeldByAnotherRep(f"{holder.name if holder else 'another rep'} holds this chat")
    meta: dict[str, object] = {"rep_id": rep.id, "rep_name": rep.name}
    row = add_message(session, conversation=conversation, role="rep", text=text, at=at, meta=meta)
    return _view(row.id, "rep", text, at, meta)


def release(
    session: Session,
    *,
    session_id: str,
    rep_id: int | None,
    at: datetime,
    actor: str,
) -> Hold:
    """Give the chat back to the assistant; `rep_id` None (an admin) releases any rep's hold."""
    conversation = get_conversation(session, session_id=session_id)
    holder = _holder(session, conversation)
    if holder is None:
        raise ChatNotTakenOver("no rep holds this chat: the assistant is answering it")
    if rep_id is not None and holder.id != rep_id:
        raise ChatHeldByAnotherRep(f"{holder.name} holds this chat: only they can release it")
    release_conversation(session, conversation=conversation)
    text = f"{holder.name} left the chat; the assistant is answering again"
    view = _announce(session, conversation, holder, "rep_left", text, actor=actor, at=at)
    return Hold(session_id, None, None, view)
