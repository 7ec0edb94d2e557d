"""Meetings from the chat: the assigned rep's next free slots, and booking one of them.

The assigned rep is the lead's live assignment, else its account's owner, else the active rep
with the fewest upcoming meetings (then the lowest id), so the same request gets the same rep.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from assistant.chat_events import ingest_chat_events
from assistant.handoff_errors import NotASlot, RepUnavailable
from leads import audit
from leads.calendar import Slot, free_slots, is_working, working_slots
from leads.conversations import add_message, get_conversation
from leads.event_rules import EventIn
from leads.meetings import SlotTaken, add_meeting, busy_times
from leads.models import Conversation, Rep
from leads.reps import active_reps, assigned_rep, calendar_of, get_rep, owning_rep

OFFERED_SLOTS = 5


@dataclass(frozen=True)
class OfferedSlot:
    """A slot as the prospect is offered it: the rep, and start/end with the rep's offset."""

    rep_id: int
    rep_name: str
    start: str
    end: str
    timezone: str


@dataclass(frozen=True)
class BookedMeeting:
    """A meeting booked from a chat, and the leads to rescore after commit."""

    meeting_id: int
    rep_id: int
    rep_name: str
    start: str
    end: str
    timezone: str
    confirmation: str
    lead_id: int | None
    touched_lead_ids: frozenset[int]


def _offered(rep: Rep, slot: Slot) -> OfferedSlot:
    zone = calendar_of(rep).zone
    return OfferedSlot(
        rep_id=rep.id,
        rep_name=rep.name,
        start=slot.starts_at.astimezone(zone).isoformat(),
        end=slot.ends_at.astimezone(zone).isoformat(),
        timezone=rep.timezone,
    )


def next_slots(
    session: Session, *, lead_id: int | None, now: datetime, count: int = OFFERED_SLOTS
) -> list[OfferedSlot]:
    """Return the assigned rep's next free slots (none when there is no active rep)."""
    rep = assigned_rep(session, lead_id=lead_id, now=now)
    if rep is None:
        return []
    busy = busy_times(session, rep_id=rep.id, after=now)
    return [_offered(rep, s) for s in free_slots(calendar_of(rep), busy=busy, now=now)[:count]]


def live_rep(session: Session, *, lead_id: int | None, now: datetime) -> Rep | None:
    """Return a rep inside their working hours now: the lead's own rep first, then by id."""
    owner = owning_rep(session, lead_id=lead_id)
    reps = ([owner] if owner is not None else []) + [
        r for r in active_reps(session) if owner is None or r.id != owner.id
    ]
    return next((r for r in reps if is_working(calendar_of(r), at=now)), None)


def _confirmation(rep: Rep, slot: Slot) -> str:
    local = slot.starts_at.astimezone(calendar_of(rep).zone)
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    when = f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({rep.timezone}, UTC{local:%z})"
    return f"Booked: a {minutes}-minute meeting with {rep.name} on {when}. See you then!"


def _meeting_event(
    conversation: Conversation, meeting_id: int, slot: Slot, rep: Rep, at: datetime
) -> EventIn:
    return EventIn(
        event_id=f"meeting-{meeting_id}",
        type="meeting_booked",
        occurred_at=at,
        properties={
            "meeting_id": meeting_id,
            "rep_id": rep.id,
            "starts_at": slot.starts_at.isoformat(),
            "source": "chat",
        },
        lead_id=conversation.lead_id,
        anonymous_id=None if conversation.lead_id is not None else conversation.anonymous_id,
    )


def _slot_of(rep: Rep, start: datetime, now: datetime) -> Slot:
    if start.tzinfo is None:
        raise NotASlot("give the start time with its offset, e.g. 2026-12-01T10:00:00-05:00")
    wanted = start.astimezone(UTC)
    calendar = calendar_of(rep)
    slot = next((s for s in working_slots(calendar, now=now) if s.starts_at == wanted), None)
    if slot is None:
        raise NotASlot(
            f"{start.isoformat()} is not one of {rep.name}'s meeting slots: "
            "pick one from the book_meeting action"
        )
    return slot


def book_meeting(
    session: Session,
    *,
    session_id: str,
    rep_id: int,
    start: datetime,
    at: datetime,
    actor: str,
) -> BookedMeeting:
    """Book one of a rep's free slots for a chat's lead; refuse a taken time or a non-slot."""
    conversation = get_conversation(session, session_id=session_id)
    rep = get_rep(session, rep_id=rep_id)
    if not rep.active:
        raise RepUnavailable(f"{rep.name} is not taking meetings: pick another rep's slot")
    slot = _slot_of(rep, start, at)
    busy = busy_times(session, rep_id=rep.id, after=at)
    if slot not in free_slots(calendar_of(rep), busy=busy, now=at):
        raise SlotTaken(f"{rep.name} is already booked then: pick another slot")
    meeting = add_meeting(
        session,
        rep_id=rep.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        lead_id=conversation.lead_id,
        conversation_id=conversation.id,
    )
    offered = _offered(rep, slot)
    text = _confirmation(rep, slot)
    add_message(
        session,
        conversation=conversation,
        role="assistant",
        text=text,
        at=at,
        meta={"meeting": {"id": meeting.id, **asdict(offered)}},
    )
    touched = ingest_chat_events(
        session,
        conversation=conversation,
        events=[_meeting_event(conversation, meeting.id, slot, rep, at)],
        at=at,
    )
    lead_id = meeting.lead_id = conversation.lead_id
    audit.record(
        session,
        actor=actor,
        action="meeting.booked",
        subject_type="meeting",
        subject_id=str(meeting.id),
        detail={"rep_id": rep.id, "starts_at": slot.starts_at.isoformat(), "session": session_id},
        at=at,
    )
    return BookedMeeting(
        meeting_id=meeting.id,
        rep_id=rep.id,
        rep_name=rep.name,
        start=offered.start,
        end=offered.end,
        timezone=rep.timezone,
        confirmation=text,
        lead_id=lead_id,
        touched_lead_ids=touched,
    )
