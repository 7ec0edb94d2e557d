"""Handoffs in the chat, on a real SQLite store: consent, a person, a rep's takeover, meetings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.agent import AgentTools
from assistant.capture import QUALIFYING_QUESTIONS
from assistant.chat import chat_turn, start_chat
from assistant.consent import consent_from_chat, consent_question
from assistant.handoff_errors import ChatHeldByAnotherRep, ChatNotTakenOver, NotASlot
from assistant.meetings import book_meeting
from assistant.takeover import post_as_rep, release, take_over
from leads.audit import entries_for
from leads.consents import current_consents
from leads.conversations import get_conversation, open_handoffs, transcript
from leads.db import unit_of_work
from leads.meetings import SlotTaken, add_meeting
from leads.models import Event, Meeting
from leads.reps import list_reps, upsert_reps
from leads.reps_file import parse_reps
from retrieval.edge_store import EdgeStore
from retrieval.embedder import SentenceEmbedder

# Monday 9 March 2026, 15:00 UTC: 16:00 in Berlin (working), 00:00 in Singapore (not).
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
REPS = """
reps:
  - {name: Lena Vogel, email: lena@q.test, timezone: Europe/Berlin, working_hours: "09:00-17:00"}
  - {name: Wei Tan, email: wei@q.test, timezone: Asia/Singapore, working_hours: "09:00-17:00"}
"""
COMPANY = "Quillstack"


@pytest.fixture
def tools(tmp_path: Path, embedder: SentenceEmbedder) -> Iterator[AgentTools]:
    store = EdgeStore(tmp_path / "edge", dimension=embedder.dimension)
    yield AgentTools(embedder=embedder, store=store, company=COMPANY)
    store.close()


@pytest.fixture
def reps(sessions: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(sessions) as session:
        upsert_reps(session, reps=parse_reps(REPS))
        return {r.name.split()[0]: r.id for r in list_reps(session)}


def _say(
    sessions: sessionmaker[Session], sid: str, text: str, tools: AgentTools, at: datetime = MONDAY
) -> tuple[str, str | None, int | None]:
    with unit_of_work(sessions) as session:
        turn = chat_turn(session, session_id=sid, text=text, tools=tools, at=at)
        return turn.answer.answer, turn.asked, turn.lead_id


def _new_chat(sessions: sessionmaker[Session]) -> str:
    with unit_of_work(sessions) as session:
        return start_chat(session, at=MONDAY)


def _consents(sessions: sessionmaker[Session], lead_id: int) -> dict[str, bool]:
    with sessions() as session:
        return current_consents(session, lead_id=lead_id)


def test_consent_is_asked_once_an_email_is_given_and_a_yes_is_recorded(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    hello, asked, _ = _say(sessions, sid, "hello", tools)
    assert asked is None
    assert consent_question(COMPANY) not in hello
    text, asked, lead_id = _say(sessions, sid, "My name is Ana, my email is ana@acme.test", tools)
    assert asked == "email_consent"
    assert text.endswith(consent_question(COMPANY))
    assert lead_id is not None
    reply, asked, _ = _say(sessions, sid, "Yes please", tools, MONDAY + timedelta(minutes=1))
    assert asked is None
    assert "We'll email you" in reply
    assert _consents(sessions, lead_id) == {"email": True}
    with sessions() as session:
        events = session.scalars(select(Event).where(Event.lead_id == lead_id)).all()
        consent = next(e for e in events if e.type == "consent_given")
        assert consent.properties == {"purpose": "email", "source": "chat"}
        assert {"chat_message", "identify"} <= {e.type for e in events}
        turns = transcript(session, conversation=get_conversation(session, session_id=sid))
    texts = [t.text for t in turns]
    assert any(consent_question(COMPANY) in t for t in texts)
    assert "Yes please" in texts
    # Decided: the next turn asks nothing more about email.
    again, asked, _ = _say(sessions, sid, "hi again", tools, MONDAY + timedelta(minutes=2))
    assert asked is None
    assert consent_question(COMPANY) not in again


def test_a_no_is_recorded_and_never_asked_again(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    _, asked, lead_id = _say(sessions, sid, "hi, I'm Bo, bo@acme.test", tools)
    assert asked == "email_consent"
    assert lead_id is not None
    reply, _, _ = _say(sessions, sid, "no thanks", tools, MONDAY + timedelta(minutes=1))
    assert "won't email you" in reply
    assert _consents(sessions, lead_id) == {"email": False}
    for minute, text in enumerate(("hello", "thanks", "hey there"), start=2):
        answer, asked, _ = _say(sessions, sid, text, tools, MONDAY + timedelta(minutes=minute))
        assert asked is None
        assert consent_question(COMPANY) not in answer


def test_a_question_let_pass_is_not_asked_again_and_records_nothing(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    _, asked, lead_id = _say(sessions, sid, "hi, I'm Cy, cy@acme.test", tools)
    assert asked == "email_consent"
    assert lead_id is not None
    later, asked, _ = _say(
        sessions, sid, "Do you support SSO with SAML?", tools, MONDAY + timedelta(minutes=1)
    )
    assert asked is None
    assert consent_question(COMPANY) not in later
    assert _consents(sessions, lead_id) == {}


def test_a_yes_without_the_question_is_not_taken_as_consent(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    _, _, lead_id = _say(sessions, sid, "hello", tools)
    _say(sessions, sid, "yes", tools, MONDAY + timedelta(minutes=1))
    assert lead_id is not None
    assert _consents(sessions, lead_id) == {}


def test_the_consent_question_replaces_the_qualifying_question(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    # A docs question over an empty store: not covered, no qualifying question either way; so
    # check the composition directly on a pricing-free answer that carries one.
    from assistant.consent import with_consent_question

    qualifying = QUALIFYING_QUESTIONS[0][1]
    combined = with_consent_question(f"An answer [1].\n\n{qualifying}", COMPANY)
    assert combined == f"An answer [1].\n\n{consent_question(COMPANY)}"
    assert combined.count("?") == 1
    text, _, _ = _say(sessions, sid, "How do I export a page? I'm cy@acme.test", tools)
    assert text.count("?") <= 2  # the not-covered offer's own question, then consent at most
    assert not any(q in text for _, q in QUALIFYING_QUESTIONS)


def test_the_consent_buttons_record_through_the_intake(
    sessions: sessionmaker[Session], tools: AgentTools
) -> None:
    sid = _new_chat(sessions)
    _, _, lead_id = _say(sessions, sid, "I'm Di, di@acme.test", tools)
    assert lead_id is not None
    with unit_of_work(sessions) as session:
        recorded = consent_from_chat(
            session, session_id=sid, purpose="email", granted=False, company=COMPANY, at=MONDAY
        )
    assert recorded.lead_id == lead_id
    assert not recorded.granted
    assert _consents(sessions, lead_id) == {"email": False}
    with sessions() as session:
        turns = transcript(session, conversation=get_conversation(session, session_id=sid))
    assert [t.role for t in turns[-2:]] == ["prospect", "assistant"]
    assert turns[-2].text == "No, please don't email me."


def test_asking_for_a_person_offers_a_rep_who_is_working_now(
    sessions: sessionmaker[Session], tools: AgentTools, reps: dict[str, int]
) -> None:
    sid = _new_chat(sessions)
    with unit_of_work(sessions) as session:
        turn = chat_turn(
            session, session_id=sid, text="Can I talk to a human?", tools=tools, at=MONDAY
        )
    assert turn.answer.intent == "human"
    assert "Lena Vogel" in turn.answer.answer  # Berlin is working; Singapore is asleep
    assert [a.kind for a in turn.answer.actions] == ["talk_to_person"]
    with sessions() as session:
        events = session.scalars(select(Event).where(Event.lead_id == turn.lead_id)).all()
        assert "handoff_requested" in {e.type for e in events}
        assert [c.session_id for c in open_handoffs(session)] == [sid]
        audit = entries_for(session, subject_type="conversation", subject_id=sid)
        assert [a.action for a in audit] == ["chat.handoff_requested"]


def test_asking_for_a_person_after_hours_offers_meeting_slots(
    sessions: sessionmaker[Session], tools: AgentTools, reps: dict[str, int]
) -> None:
    sid = _new_chat(sessions)
    saturday = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        turn = chat_turn(
            session, session_id=sid, text="I want to speak to a person", tools=tools, at=saturday
        )
    assert [a.kind for a in turn.answer.actions] == ["book_meeting"]
    assert turn.slots
    # No assignment or owner: the rep with the fewest upcoming meetings, then the lowest id.
    assert {s.rep_id for s in turn.slots} == {reps["Lena"]}
    assert turn.slots[0].start == "2026-03-16T09:00:00+01:00"  # Monday 09:00 in Berlin


def later(seconds: int) -> datetime:
    return MONDAY + timedelta(seconds=seconds)


def test_a_rep_takes_over_writes_and_releases(
    sessions: sessionmaker[Session], tools: AgentTools, reps: dict[str, int]
) -> None:
    sid = _new_chat(sessions)
    _say(sessions, sid, "hello", tools)
    with unit_of_work(sessions) as session:
        hold = take_over(session, session_id=sid, rep_id=reps["Lena"], at=MONDAY, actor="lena")
    assert hold.message is not None
    assert hold.message.text == "Lena Vogel from our team joined the chat"
    with unit_of_work(sessions) as session, pytest.raises(ChatHeldByAnotherRep, match="Lena"):
        take_over(session, session_id=sid, rep_id=reps["Wei"], at=MONDAY, actor="wei")
    with unit_of_work(sessions) as session:  # the same rep again changes nothing
        assert (
            take_over(session, session_id=sid, rep_id=reps["Lena"], at=MONDAY, actor="l").message
            is None
        )
    answer, _, lead_id = _say(
        sessions, sid, "is anyone there?", tools, MONDAY + timedelta(seconds=5)
    )
    assert answer == ""  # the assistant keeps quiet while a rep holds the chat
    with unit_of_work(sessions) as session:
        post_as_rep(
            session, session_id=sid, rep_id=reps["Lena"], text="Hi, Lena here!", at=later(6)
        )
    with unit_of_work(sessions) as session, pytest.raises(ChatHeldByAnotherRep):
        post_as_rep(session, session_id=sid, rep_id=reps["Wei"], text="me too", at=MONDAY)
    with unit_of_work(sessions) as session, pytest.raises(ChatHeldByAnotherRep):
        release(session, session_id=sid, rep_id=reps["Wei"], at=MONDAY, actor="wei")
    with unit_of_work(sessions) as session:
        release(session, session_id=sid, rep_id=reps["Lena"], at=later(7), actor="lena")
    with unit_of_work(sessions) as session, pytest.raises(ChatNotTakenOver):
        post_as_rep(session, session_id=sid, rep_id=reps["Lena"], text="still here", at=MONDAY)
    back, _, _ = _say(sessions, sid, "hello?", tools, MONDAY + timedelta(seconds=9))
    assert back
    with sessions() as session:
        turns = transcript(session, conversation=get_conversation(session, session_id=sid))
        chat_events = session.scalars(
            select(Event).where(Event.lead_id == lead_id, Event.type == "chat_message")
        ).all()
    assert [t.role for t in turns] == [
        *("prospect", "assistant", "system", "prospect", "rep", "system", "prospect", "assistant")
    ]
    assert turns[4].meta["rep_name"] == "Lena Vogel"
    assert len(chat_events) == 3  # every prospect message is a lead event, answered or not


def test_booking_a_slot_stores_a_meeting_and_refuses_it_twice(
    sessions: sessionmaker[Session], tools: AgentTools, reps: dict[str, int]
) -> None:
    sid = _new_chat(sessions)
    _, _, lead_id = _say(sessions, sid, "hello, I'm Ed, ed@acme.test", tools)
    start = datetime.fromisoformat("2026-03-10T10:00:00+01:00")  # Tuesday in Berlin
    with unit_of_work(sessions) as session:
        booked = book_meeting(
            session, session_id=sid, rep_id=reps["Lena"], start=start, at=MONDAY, actor="prospect"
        )
    assert booked.start == "2026-03-10T10:00:00+01:00"
    assert booked.lead_id == lead_id
    assert "Lena Vogel" in booked.confirmation
    assert "30-minute" in booked.confirmation
    other = _new_chat(sessions)
    with unit_of_work(sessions) as session, pytest.raises(SlotTaken):
        book_meeting(
            session, session_id=other, rep_id=reps["Lena"], start=start, at=MONDAY, actor="p"
        )
    with unit_of_work(sessions) as session, pytest.raises(NotASlot):
        book_meeting(
            session,
            session_id=other,
            rep_id=reps["Lena"],
            start=start + timedelta(minutes=7),
            at=MONDAY,
            actor="p",
        )
    with unit_of_work(sessions) as session, pytest.raises(NotASlot):  # Saturday
        book_meeting(
            session,
            session_id=other,
            rep_id=reps["Lena"],
            start=start + timedelta(days=4),
            at=MONDAY,
            actor="p",
        )
    with sessions() as session:
        meetings = session.scalars(select(Meeting)).all()
        events = session.scalars(select(Event).where(Event.type == "meeting_booked")).all()
        audit = entries_for(session, subject_type="meeting", subject_id=str(booked.meeting_id))
    assert len(meetings) == 1
    assert meetings[0].lead_id == lead_id
    assert [e.lead_id for e in events] == [lead_id]
    assert [a.action for a in audit] == ["meeting.booked"]


def test_the_database_lets_only_one_of_two_racing_bookings_win(
    sessions: sessionmaker[Session], reps: dict[str, int]
) -> None:
    starts = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        add_meeting(
            session,
            rep_id=reps["Lena"],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            lead_id=None,
            conversation_id=None,
        )
    # The second booking passed its own free-slot check before the first committed; the unique
    # (rep_id, starts_at) constraint refuses it, and its unit of work rolls back.
    with pytest.raises(SlotTaken), unit_of_work(sessions) as session:
        add_meeting(
            session,
            rep_id=reps["Lena"],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            lead_id=None,
            conversation_id=None,
        )
    with sessions() as session:
        assert len(session.scalars(select(Meeting)).all()) == 1
