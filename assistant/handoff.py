""" "Talk to a person": the request a router can see, and the offer of a live rep or a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assistant.answers import TALK_TO_PERSON, Action
from assistant.meetings import OfferedSlot, live_rep, next_slots
from leads import audit
from leads.event_rules import EventIn
from leads.models import Conversation


@dataclass(frozen=True)
class PersonOffer:
    """What the prospect is offered: a rep who is working now, or the next meeting slots."""

    text: str
    actions: tuple[Action, ...]
    live_rep_id: int | None = None
    slots: tuple[OfferedSlot, ...] = ()


def handoff_event(conversation: Conversation, *, event_id: str, text: str, at: datetime) -> EventIn:
    """Return the `handoff_requested` lead event of a chat whose prospect asked for a person."""
    return EventIn(
        event_id=event_id,
        type="handoff_requested",
        occurred_at=at,
        properties={"session_id": conversation.session_id, "text": text[:500], "source": "chat"},
        anonymous_id=conversation.anonymous_id,
    )


def request_person(session: Session, *, conversation: Conversation, at: datetime) -> PersonOffer:
    """Mark the chat as asking for a person (audit too) and offer a live rep or a meeting."""
    conversation.handoff_requested_at = at
    audit.record(
        session,
        actor="assistant",
        action="chat.handoff_requested",
        subject_type="conversation",
        subject_id=conversation.session_id,
        detail={"lead_id": conversation.lead_id},
        at=at,
    )
    rep = live_rep(session, lead_id=conversation.lead_id, now=at)
    if rep is not None:
        text = (
            f"Of course. {rep.name} from our team is working now and has been asked to join "
            "this chat; their messages will appear here. Meanwhile, ask me anything."
        )
        return PersonOffer(text, (TALK_TO_PERSON,), live_rep_id=rep.id)
    slots = tuple(next_slots(session, lead_id=conversation.lead_id, now=at))
    if slots:
        name = slots[0].rep_name
        text = (
            "Of course. No one from our team is online right now, so you can book a meeting "
            f"with {name}: pick a time below."
        )
        return PersonOffer(
            text, (Action("book_meeting", f"Book a meeting with {name}"),), None, slots
        )
    text = "Of course. I've passed your request to our team; a person will get back to you."
    return PersonOffer(text, (TALK_TO_PERSON,))
