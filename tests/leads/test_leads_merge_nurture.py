"""A merge moves nurture with the lead, and never leaves it twice in one sequence."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leads.nurture_models import Enrollment, NurtureSend
from nurture.repository import find_sequence
from nurture.sequence_file import parse_sequence
from nurture.sequences import save_sequence
from tests.leads.intake_factories import NOW, ingest, make_event

SEQUENCES = [
    "key: one\nname: One\nsteps:\n  - {id: hello, wait: 1d}\n",
    "key: two\nname: Two\nsteps:\n  - {id: hello, wait: 1d}\n",
]


def _enroll(session: Session, lead_id: int, sequence_id: int) -> Enrollment:
    enrollment = Enrollment(
        lead_id=lead_id, sequence_id=sequence_id, version=1, step_id="hello", next_run_at=NOW
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def test_a_merge_keeps_one_active_enrollment_per_sequence_and_moves_the_rest(
    sessions: sessionmaker[Session],
) -> None:
    known = ingest(sessions, make_event("k-1", type="form_submit", email="dana@example.com"))
    anon = ingest(sessions, make_event("v-1", anonymous_id="anon-9"))
    known_id, anon_id = known.outcomes[0].lead_id, anon.outcomes[0].lead_id
    assert known_id is not None
    assert anon_id is not None
    with sessions() as session, session.begin():
        for text in SEQUENCES:
            save_sequence(session, parse_sequence(text), source="test", actor="test", at=NOW)
        one, two = (find_sequence(session, key=k) for k in ("one", "two"))
        assert one is not None
        assert two is not None
        _enroll(session, known_id, one.id)
        shared = _enroll(session, anon_id, one.id)
        moved = _enroll(session, anon_id, two.id)
        session.add(
            NurtureSend(
                enrollment_id=moved.id,
                step_id="hello",
                lead_id=anon_id,
                sequence_id=two.id,
                version=1,
                template="t",
            )
        )
        shared_id, moved_id = shared.id, moved.id
    ingest(
        sessions,
        make_event(
            "v-2",
            type="identify",
            anonymous_id="anon-9",
            email="dana@example.com",
            occurred_at=NOW - timedelta(minutes=1),
        ),
    )
    with sessions() as session:
        shared_row = session.get(Enrollment, shared_id)
        moved_row = session.get(Enrollment, moved_id)
        assert shared_row is not None
        assert moved_row is not None
        assert (shared_row.status, shared_row.exit_reason) == ("exited", "merged")
        assert (moved_row.status, moved_row.lead_id) == ("active", known_id)
        active = session.scalars(
            select(Enrollment).where(Enrollment.lead_id == known_id, Enrollment.status == "active")
        ).all()
        assert sorted(e.sequence_id for e in active) == [one.id, two.id]
        send = session.scalars(select(NurtureSend)).one()
        assert send.lead_id == known_id
