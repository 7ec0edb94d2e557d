"""Consent to be emailed: asked once the prospect has given an email, recorded as lead events.

The question is asked once a session, at the end of the first turn after an email is given
while no `email` decision is recorded for the lead; it replaces that turn's qualifying question,
so a turn never asks more than one. A yes or no
reply to it (or the widget's buttons) records `consent_given` / `consent_withdrawn` through the
event intake, so `leads.consents.current_consents` and every later mail step see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assistant.capture import QUALIFYING_QUESTIONS
from assistant.chat_events import ingest_chat_events
from leads.consents import current_consents
from leads.conversations import add_message, get_conversation, transcript
from leads.event_rules import EventIn
from leads.identity import current_lead
from leads.models import Conversation

EMAIL_PURPOSE = "email"
ASKED_EMAIL_CONSENT = "email_consent"
MAX_REPLY_WORDS = 8
_NO = re.compile(
    r"^\s*(?:no|nope|nah|n|not now|no thanks|no thank you|don'?t|do not|please don'?t|never)\b",
    re.IGNORECASE,
)
_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|y|sure|ok|okay|of course|please do|go ahead|fine|absolutely)\b",
    re.IGNORECASE,
)


def consent_question(company: str) -> str:
    """Return the one question that asks for consent to email."""
    return f"May we email you about {company}? Reply yes or no."


def reply_to_question(text: str) -> bool | None:
    """Return True for a yes, False for a no, None for anything else (a question, a sentence)."""
    if len(text.split()) > MAX_REPLY_WORDS:
        return None
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


def acknowledgement(granted: bool, company: str) -> str:
    """Return what the assistant says once a decision is recorded."""
    if granted:
        return f"Thanks! We'll email you about {company}; you can unsubscribe at any time."
    return "Understood: we won't email you. Ask me anything else here."


def with_consent_question(text: str, company: str) -> str:
    """End an answer with the consent question, in place of a qualifying question it ends with."""
    for _field, question in QUALIFYING_QUESTIONS:
        if text.endswith(f"\n\n{question}"):
            text = text[: -len(question) - 2]
            break
    return f"{text}\n\n{consent_question(company)}"


def needs_email_consent(session: Session, *, lead_id: int | None, email: str | None) -> bool:
    """Return whether the lead has an email and no standing decision about emailing it."""
    lead = current_lead(session, lead_id=lead_id) if lead_id is not None else None
    if lead is None or not (email or lead.email):
        return False
    return EMAIL_PURPOSE not in current_consents(session, lead_id=lead.id)


def consent_event(
    conversation: Conversation, *, event_id: str, purpose: str, granted: bool, at: datetime
) -> EventIn:
    """Return the lead event that records a consent decision made in the chat."""
    return EventIn(
        event_id=event_id,
        type="consent_given" if granted else "consent_withdrawn",
        occurred_at=at,
        properties={"purpose": purpose, "source": "chat"},
        lead_id=conversation.lead_id,
        anonymous_id=None if conversation.lead_id is not None else conversation.anonymous_id,
    )


@dataclass(frozen=True)
class ConsentRecorded:
    """A decision recorded from the chat's buttons, what the assistant said, leads to rescore."""

    purpose: str
    granted: bool
    lead_id: int | None
    text: str
    touched_lead_ids: frozenset[int]


def _said(purpose: str, granted: bool) -> str:
    if purpose == EMAIL_PURPOSE:
        return "Yes, you may email me." if granted else "No, please don't email me."
    return f"{'Yes' if granted else 'No'} to {purpose}."


def consent_from_chat(
    session: Session, *, session_id: str, purpose: str, granted: bool, company: str, at: datetime
) -> ConsentRecorded:
    """Record a decision given with the widget's buttons; the transcript shows it and the reply."""
    conversation = get_conversation(session, session_id=session_id)
    number = len(transcript(session, conversation=conversation))
    meta: dict[str, object] = {"consent": {"purpose": purpose, "granted": granted}}
    said = _said(purpose, granted)
    add_message(session, conversation=conversation, role="prospect", text=said, at=at, meta=meta)
    event = consent_event(
        conversation,
        event_id=f"chat-{session_id}-consent-{number}",
        purpose=purpose,
        granted=granted,
        at=at,
    )
    touched = ingest_chat_events(session, conversation=conversation, events=[event], at=at)
    text = acknowledgement(granted, company) if purpose == EMAIL_PURPOSE else "Noted, thank you."
    add_message(session, conversation=conversation, role="assistant", text=text, at=at, meta=meta)
    return ConsentRecorded(purpose, granted, conversation.lead_id, text, touched)
