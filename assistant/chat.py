"""Chat sessions: each prospect turn is answered, stored with the answer, and becomes lead events.

A session starts anonymous (`chat-<session id>`); when the prospect gives an email the intake
merges the visitor into the lead that has it. Qualification answers travel on the
`chat_message` event (the features read them there), profile facts on an `identify` event.
A turn may also ask for consent to email (`consent.py`), offer a person or a meeting
(`handoff.py`), or, while a rep holds the chat (`takeover.py`), go unanswered by the assistant.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from assistant import consent
from assistant.agent import AgentTools, answer_turn
from assistant.answers import Answer
from assistant.chat_events import ingest_chat_events
from assistant.errors import MessageRefused
from assistant.handoff import handoff_event, request_person
from assistant.intent import classify
from assistant.meetings import OfferedSlot, next_slots
from leads.conversations import (
    MessageView,
    add_message,
    get_conversation,
    start_conversation,
    transcript,
)
from leads.event_rules import EventIn
from leads.identity import LEAD_TRAITS
from leads.models import Conversation
from leads.reps import get_rep

HISTORY_TURNS = 6
EVENT_TEXT_CHARS = 1000
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class ChatTurn:
    """An answered turn, the lead it belongs to, and the leads to rescore after commit.

    `held_by` names the rep holding the chat (the assistant did not answer: `answer.answer` is
    empty); `slots` are the meeting times a `book_meeting` action offers; `asked` names the
    question the answer ends with when it is consent to email.
    """

    answer: Answer
    lead_id: int | None
    touched_lead_ids: frozenset[int]
    held_by: str | None = None
    slots: tuple[OfferedSlot, ...] = ()
    asked: str | None = None


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
    prefix = f"chat-{conversation.session_id}-{number}"
    events = [
        EventIn(
            event_id=prefix,
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
                event_id=f"{prefix}-identify",
                type="identify",
                occurred_at=at,
                properties=traits,
                anonymous_id=anonymous_id,
                email=email,
            )
        )
    if answer.intent == "human":
        events.append(handoff_event(conversation, event_id=f"{prefix}-handoff", text=text, at=at))
    return events


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise MessageRefused("the message is empty: type a question")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageRefused(
            f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}"
        )
    return text


def _consent_reply(earlier: list[MessageView], text: str) -> bool | None:
    """Return the prospect's yes/no when the last answer asked for consent to email."""
    last = next((m for m in reversed(earlier) if m.role == "assistant"), None)
    if last is None or last.meta.get("asked") != consent.ASKED_EMAIL_CONSENT:
        return None
    return consent.reply_to_question(text)


def _answer(earlier: list[MessageView], text: str, reply: bool | None, tools: AgentTools) -> Answer:
    if reply is not None:
        ack = consent.acknowledgement(reply, tools.company)
        return Answer(ack, (), (), 1.0, classify(text), text, "fixed")
    history = [m.text for m in earlier if m.role == "prospect"][-HISTORY_TURNS:]
    known = _known([m.meta for m in earlier if m.role == "assistant"])
    return answer_turn(text, history=history, known=known, tools=tools)


def _held_turn(
    session: Session, conversation: Conversation, number: int, text: str, at: datetime
) -> ChatTurn:
    """Store a prospect's message to a rep-held chat and its lead event; no assistant answer."""
    assert conversation.rep_id is not None
    rep = get_rep(session, rep_id=conversation.rep_id)
    answer = Answer("", (), (), 1.0, classify(text), text, "fixed")
    events = _events(conversation, number, text, answer, at)
    touched = ingest_chat_events(session, conversation=conversation, events=events, at=at)
    return ChatTurn(answer, conversation.lead_id, touched, held_by=rep.name)


def _offers(
    session: Session, conversation: Conversation, answer: Answer, at: datetime
) -> tuple[Answer, tuple[OfferedSlot, ...]]:
    """Replace a "talk to a person" reply with a live rep or meeting offer; attach slots."""
    slots: tuple[OfferedSlot, ...] = ()
    if answer.intent == "human":
        offer = request_person(session, conversation=conversation, at=at)
        answer = replace(answer, answer=offer.text, actions=offer.actions)
        slots = offer.slots
    if not slots and any(a.kind == "book_meeting" for a in answer.actions):
        slots = tuple(next_slots(session, lead_id=conversation.lead_id, now=at))
    return answer, slots


def _meta(answer: Answer, slots: tuple[OfferedSlot, ...], asked: str | None) -> dict[str, object]:
    return {
        "citations": [asdict(c) for c in answer.citations],
        "actions": [asdict(a) for a in answer.actions],
        "intent": answer.intent,
        "confidence": answer.confidence,
        "answered_by": answer.answered_by,
        "captured": answer.captured.known(),
        "slots": [asdict(s) for s in slots],
        "asked": asked,
    }


def chat_turn(
    session: Session, *, session_id: str, text: str, tools: AgentTools, at: datetime
) -> ChatTurn:
    """Answer a prospect's message in its session and record both turns and the lead events."""
    text = _check_text(text)
    conversation = get_conversation(session, session_id=session_id)
    earlier = transcript(session, conversation=conversation)
    number = sum(1 for m in earlier if m.role == "prospect") + 1
    add_message(session, conversation=conversation, role="prospect", text=text, at=at)
    if conversation.rep_id is not None:
        return _held_turn(session, conversation, number, text, at)
    reply = _consent_reply(earlier, text)
    answer = _answer(earlier, text, reply, tools)
    events = _events(conversation, number, text, answer, at)
    if reply is not None:
        events.append(
            consent.consent_event(
                conversation,
                event_id=f"chat-{session_id}-{number}-consent",
                purpose=consent.EMAIL_PURPOSE,
                granted=reply,
                at=at,
            )
        )
    touched = ingest_chat_events(session, conversation=conversation, events=events, at=at)
    answer, slots = _offers(session, conversation, answer, at)
    email = answer.captured.email or _known([m.meta for m in earlier]).get("email")
    asked = None
    # Asked once a session: a prospect who lets the question pass is not asked again.
    once = any(m.meta.get("asked") == consent.ASKED_EMAIL_CONSENT for m in earlier)
    if (
        reply is None
        and not once
        and consent.needs_email_consent(session, lead_id=conversation.lead_id, email=email)
    ):
        answer = replace(answer, answer=consent.with_consent_question(answer.answer, tools.company))
        asked = consent.ASKED_EMAIL_CONSENT
    meta = _meta(answer, slots, asked)
    add_message(
        session, conversation=conversation, role="assistant", text=answer.answer, at=at, meta=meta
    )
    return ChatTurn(answer, conversation.lead_id, touched, slots=slots, asked=asked)
