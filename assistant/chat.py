"""Chat sessions: each prospect turn is answered, stored with the answer, and becomes lead events.

A session starts anonymous (`chat-<session id>`); when the prospect gives an email the intake
merges the visitor into the lead that has it. Qualification answers travel on the
`chat_message` event (the features read them there), profile facts on an `identify` event.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assistant.agent import AgentTools, answer_turn
from assistant.answers import Answer
from assistant.errors import MessageRefused
from leads.conversations import add_message, get_conversation, start_conversation, transcript
from leads.event_rules import EventIn
from leads.identity import LEAD_TRAITS
from leads.intake import ingest_events
from leads.models import Conversation

HISTORY_TURNS = 6
EVENT_TEXT_CHARS = 1000
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class ChatTurn:
    """An answered turn, the lead it belongs to, and the leads to rescore after commit."""

    answer: Answer
    lead_id: int | None
    touched_lead_ids: frozenset[int]


def start_chat(session: Session, *, at: datetime) -> str:
    """Start a chat session; return its id."""
    session_id = secrets.token_urlsafe(16)
    start_conversation(session, session_id=session_id, anonymous_id=f"chat-{session_id}", at=at)
    return session_id


def _known(conversation_turns: list[dict[str, object]]) -> dict[str, str]:
    known: dict[str, str] = {}
    for meta in conversation_turns:
        captured = meta.get("captured")
        if isinstance(captured, dict):
            known.update({str(k): str(v) for k, v in captured.items() if v})
    return known


def _events(
    conversation: Conversation, number: int, text: str, answer: Answer, at: datetime
) -> list[EventIn]:
    captured = answer.captured.known()
    anonymous_id, email = conversation.anonymous_id, captured.get("email")
    qualification = {k: v for k, v in captured.items() if k in {"team_size", "budget", "timeline"}}
    events = [
        EventIn(
            event_id=f"chat-{conversation.session_id}-{number}",
            type="chat_message",
            occurred_at=at,
            properties={"text": text[:EVENT_TEXT_CHARS], "intent": answer.intent, **qualification},
            anonymous_id=anonymous_id,
            email=email,
        )
    ]
    traits = {k: v for k, v in captured.items() if k in LEAD_TRAITS}
    if traits or captured.get("email"):
        events.append(
            EventIn(
                event_id=f"chat-{conversation.session_id}-{number}-identify",
                type="identify",
                occurred_at=at,
                properties=traits,
                anonymous_id=anonymous_id,
                email=email,
            )
        )
    return events


def chat_turn(
    session: Session, *, session_id: str, text: str, tools: AgentTools, at: datetime
) -> ChatTurn:
    """Answer a prospect's message in its session and record both turns and the lead events."""
    text = text.strip()
    if not text:
        raise MessageRefused("the message is empty: type a question")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageRefused(
            f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}"
        )
    conversation = get_conversation(session, session_id=session_id)
    earlier = transcript(session, conversation=conversation)
    history = [m.text for m in earlier if m.role == "prospect"][-HISTORY_TURNS:]
    known = _known([m.meta for m in earlier if m.role == "assistant"])
    answer = answer_turn(text, history=history, known=known, tools=tools)
    add_message(session, conversation=conversation, role="prospect", text=text, at=at)
    meta = {
        "citations": [asdict(c) for c in answer.citations],
        "actions": [asdict(a) for a in answer.actions],
        "intent": answer.intent,
        "confidence": answer.confidence,
        "answered_by": answer.answered_by,
        "captured": answer.captured.known(),
    }
    add_message(
        session, conversation=conversation, role="assistant", text=answer.answer, at=at, meta=meta
    )
    number = len(earlier) // 2 + 1
    result = ingest_events(
        session,
        batch=_events(conversation, number, text, answer, at),
        received_at=at,
        actor="assistant",
    )
    lead_ids = [o.lead_id for o in result.outcomes if o.lead_id is not None]
    if lead_ids:
        conversation.lead_id = lead_ids[-1]
    return ChatTurn(answer, conversation.lead_id, frozenset(result.touched_lead_ids))
