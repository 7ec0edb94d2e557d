"""The tick on a real SQLite store: outbox rows with the advance, versions, exits, enrolling."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from leads.errors import LeadNotFound
from leads.models import QueuedLead, RoutingDecision
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog
from leads.scores import add_score
from nurture import sequences
from nurture.enrollments import (
    enroll,
    enroll_routed,
    enrollment_log,
    enrollment_rows,
    get_enrollment,
)
from nurture.errors import EnrollmentNotFound, SequenceNotFound
from nurture.exits import exit_for_leads
from nurture.tick import run_batch, run_tick
from tests.nurture.factories_engine import (
    MONDAY,
    add_event,
    config,
    enrolled,
    make_lead,
    save,
)

WAITING = """
key: waiting
name: Welcome then offer
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - {id: offer, email: offer}
"""


def sends(session: Session) -> list[tuple[int, str, int, str, str | None, str]]:
    query = select(
        NurtureSend.enrollment_id,
        NurtureSend.step_id,
        NurtureSend.visit,
        NurtureSend.template,
        NurtureSend.to_email,
        NurtureSend.status,
    ).order_by(NurtureSend.id)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def test_a_tick_writes_the_outbox_row_the_log_and_the_advance_together(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        enrollment_id, lead_id, address = enrolled(session, key=key)
    sent: list[tuple[int, ...]] = []
    result = run_tick(sessions, config=config(), now=MONDAY, after_commit=sent.append)
    assert (result.claimed, result.steps, result.ended, result.errors) == (1, 2, 0, 0)
    assert sent == [result.send_ids]
    with sessions() as session:
        assert sends(session) == [(enrollment_id, "welcome", 1, "welcome", address, "pending")]
        row = get_enrollment(session, enrollment_id=enrollment_id)
        assert (row.status, row.step_id, row.next_run_at) == (
            "active",
            "pause",
            MONDAY + timedelta(days=2),
        )
        assert row.steps_run == 2
        log = [(e.step_id, e.kind) for e in enrollment_log(session, enrollment_id=enrollment_id)]
        # "sent" is delivery's to log, once the mail is out; the outbox row says it is queued.
        assert log == [("welcome", "entered"), ("pause", "entered")]
    # Nothing is due again until the wait is over.
    assert run_tick(sessions, config=config(), now=MONDAY + timedelta(hours=47)).claimed == 0
    later = run_tick(sessions, config=config(), now=MONDAY + timedelta(days=2))
    assert (later.claimed, later.ended) == (1, 1)
    with sessions() as session:
        assert [s[1] for s in sends(session)] == ["welcome", "offer"]
        assert get_enrollment(session, enrollment_id=enrollment_id).status == "completed"
        assert enrollment_rows(session, lead_id=lead_id)[0].exit_reason == "completed"


def test_a_batch_rolled_back_writes_nothing_and_runs_again_the_same(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        ids = [enrolled(session, key=key)[0] for _ in range(3)]
    with sessions() as session:
        batch = run_batch(session, config=config(), now=MONDAY, size=10, versions={})
        assert batch.claimed == 3
        session.rollback()  # the worker died before its commit
    with sessions() as session:
        assert sends(session) == []
        assert session.scalar(select(func.count()).select_from(NurtureStepLog)) == 0
    run_tick(sessions, config=config(), now=MONDAY)
    with sessions() as session:
        assert sorted(s[0] for s in sends(session)) == ids


def test_running_enrollments_keep_their_version_after_an_edit(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        old, _, _ = enrolled(session, key=key)
    run_tick(sessions, config=config(), now=MONDAY)
    edited = WAITING.replace("email: offer}", "email: offer-v2}")
    with sessions.begin() as session:
        assert save(session, edited) == key
        assert sequences.get_sequence(session, key=key).latest_version == 2
        new, _, _ = enrolled(session, key=key, at=MONDAY + timedelta(days=1))
    run_tick(sessions, config=config(), now=MONDAY + timedelta(days=1))
    run_tick(sessions, config=config(), now=MONDAY + timedelta(days=3))
    run_tick(sessions, config=config(), now=MONDAY + timedelta(days=4))
    with sessions() as session:
        by = {(s[0], s[1]): s[3] for s in sends(session)}
        assert by[(old, "offer")] == "offer"
        assert by[(new, "offer")] == "offer-v2"
        versions = dict(session.execute(select(Enrollment.id, Enrollment.version)).tuples().all())
        assert versions == {old: 1, new: 2}


def test_the_cap_counts_every_sequence_of_the_lead_even_in_one_batch(
    sessions: sessionmaker[Session],
) -> None:
    other = WAITING.replace("key: waiting", "key: other")
    with sessions.begin() as session:
        save(session, WAITING)
        save(session, other)
        lead_id, _ = make_lead(session)
        first = enroll(session, lead_id=lead_id, sequence_key="waiting", at=MONDAY)
        second = enroll(session, lead_id=lead_id, sequence_key="other", at=MONDAY)
    run_tick(sessions, config=config(max_emails_per_week=1), now=MONDAY)
    with sessions() as session:
        assert [s[0] for s in sends(session)] == [first.enrollment_id]
        capped = get_enrollment(session, enrollment_id=second.enrollment_id or 0)
        assert (capped.step_id, capped.next_run_at) == ("welcome", MONDAY + timedelta(days=7))


def test_a_lead_zone_comes_from_its_country_and_quiet_hours_apply(
    sessions: sessionmaker[Session],
) -> None:
    quiet = config(quiet_start=time(21, 0), quiet_end=time(8, 0))
    with sessions.begin() as session:
        key = save(session, WAITING)
        singapore, _, _ = enrolled(session, key=key, country="SG")  # 23:00 there
        berlin, _, _ = enrolled(session, key=key, country="DE")  # 16:00 there
        own, _, _ = enrolled(session, key=key, country="SG", timezone="Europe/Berlin")
    run_tick(sessions, config=quiet, now=MONDAY)
    with sessions() as session:
        assert sorted(s[0] for s in sends(session)) == [berlin, own]
        waiting = get_enrollment(session, enrollment_id=singapore)
        assert waiting.next_run_at == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def test_consent_and_addresses_are_checked_before_an_email_is_written(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        withdrawn, _, _ = enrolled(session, key=key, consent=False)
        never, _, _ = enrolled(session, key=key, consent=None)
    run_tick(sessions, config=config(), now=MONDAY)
    with sessions() as session:
        assert sends(session) == []
        reasons = {r.id: r.exit_reason for r in enrollment_rows(session)}
        assert reasons == {withdrawn: "consent_withdrawn", never: "no_consent"}


def test_exit_for_leads_ends_waiting_enrollments_when_the_lead_acts(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        buyer, buyer_id, buyer_email = enrolled(session, key=key)
        replier, replier_id, replier_email = enrolled(session, key=key)
        quiet, quiet_id, _ = enrolled(session, key=key)
    run_tick(sessions, config=config(), now=MONDAY)
    later = MONDAY + timedelta(hours=5)
    with sessions.begin() as session:
        add_event(session, buyer_email, "purchase", later)
        add_event(session, replier_email, "email_replied", later)
        ended = exit_for_leads(session, lead_ids=[buyer_id, replier_id, quiet_id], at=later)
    assert sorted((e.enrollment_id, e.status, e.reason) for e in ended) == sorted(
        [(buyer, "converted", "purchase"), (replier, "exited", "replied")]
    )
    with sessions() as session:
        assert get_enrollment(session, enrollment_id=quiet).status == "active"
        assert enrollment_log(session, enrollment_id=buyer)[-1].kind == "converted"
    # The next tick sends nothing more to those who left.
    run_tick(sessions, config=config(), now=MONDAY + timedelta(days=2))
    with sessions() as session:
        assert sorted(s[0] for s in sends(session) if s[1] == "offer") == [quiet]


def test_enroll_is_a_no_op_when_active_and_refuses_paused_or_unknown_sequences(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        lead_id, _ = make_lead(session)
        first = enroll(session, lead_id=lead_id, sequence_key=key, at=MONDAY)
        again = enroll(session, lead_id=lead_id, sequence_key=key, at=MONDAY)
        assert (first.status, again.status) == ("enrolled", "already")
        assert again.enrollment_id == first.enrollment_id
        other, _ = make_lead(session)
        sequences.set_active(session, key=key, active=False, actor="t", at=MONDAY)
        assert enroll(session, lead_id=other, sequence_key=key, at=MONDAY).status == "paused"
        with pytest.raises(SequenceNotFound):
            enroll(session, lead_id=other, sequence_key="nope", at=MONDAY)
        with pytest.raises(LeadNotFound):
            enroll(session, lead_id=999_999, sequence_key=key, at=MONDAY)
        with pytest.raises(EnrollmentNotFound):
            get_enrollment(session, enrollment_id=999_999)


def _decide(session: Session, lead_id: int, action: str, sequence: str | None) -> int:
    row = RoutingDecision(
        lead_id=lead_id,
        action=action,
        sequence=sequence,
        reasons=[],
        rules_version="test",
        decided_at=MONDAY,
    )
    session.add(row)
    session.flush()
    return row.id


def test_enroll_routed_follows_each_leads_newest_decision_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        nurtured, _ = make_lead(session)
        assigned, _ = make_lead(session)
        unknown, _ = make_lead(session)
        undecided, _ = make_lead(session)
        decision = _decide(session, nurtured, "nurture", key)
        _decide(session, assigned, "nurture", key)
        _decide(session, assigned, "assigned", None)  # newer: a rep has it
        _decide(session, unknown, "nurture", "not-loaded")
        leads = [nurtured, assigned, unknown, undecided]
        counts = enroll_routed(session, lead_ids=leads, at=MONDAY)
        assert (counts.enrolled, counts.not_nurture, counts.unknown_sequence) == (1, 2, 1)
        (row,) = enrollment_rows(session)
        assert (row.lead_id, row.sequence_key) == (nurtured, key)
        assert session.get(Enrollment, row.id).decision_id == decision  # type: ignore[union-attr]
    run_tick(sessions, config=config(), now=MONDAY)
    with sessions.begin() as session:
        exit_for_leads(session, lead_ids=[nurtured], at=MONDAY)
        session.execute(update(Enrollment).values(status="completed"))
        # The same decision never enrolls twice, even once the first enrollment ended.
        assert enroll_routed(session, lead_ids=[nurtured], at=MONDAY).already == 1


def test_two_ticks_on_one_sqlite_file_never_run_the_same_enrollment(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        for _ in range(60):
            enrolled(session, key=key)
    small = config(batch_size=7)
    results = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            results.append(run_tick(sessions, config=small, now=MONDAY))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.claimed for r in results) == 60
    with sessions() as session:
        keys = [(s[0], s[1]) for s in sends(session)]
        assert len(keys) == len(set(keys)) == 60


def test_a_limit_stops_the_tick_early(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        key = save(session, WAITING)
        for _ in range(5):
            enrolled(session, key=key)
    assert run_tick(sessions, config=config(batch_size=2), now=MONDAY, limit=3).claimed == 3
    assert run_tick(sessions, config=config(batch_size=2), now=MONDAY).claimed == 2


BRANCHING = """
key: branching
name: Branching
steps:
  - id: pick
    branch:
      cases:
        - {when: {event: pricing_view, within: 7d}, goto: pricing}
        - {when: {band: [warm]}, goto: warm}
      otherwise: rest
  - {id: pricing, email: pricing, next: end}
  - {id: warm, email: warm, next: end}
  - {id: rest, email: rest, next: end}
  - {id: end, exit: completed}
"""


def _score(session: Session, lead_id: int, band: str, at: datetime) -> None:
    add_score(
        session,
        lead_id=lead_id,
        probability=0.5,
        band=band,
        model_version="t",
        features_version="t",
        reasons=[],
        scored_at=at,
    )


def test_the_tick_reads_events_newest_bands_and_routing_from_the_store(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session, BRANCHING)
        looked, _, looked_email = enrolled(session, key=key)
        add_event(session, looked_email, "pricing_view", MONDAY - timedelta(days=2))
        warm, warm_lead, _ = enrolled(session, key=key)
        _score(session, warm_lead, "cold", MONDAY - timedelta(days=3))
        _score(session, warm_lead, "warm", MONDAY - timedelta(days=1))  # the newest counts
        cooled, cooled_lead, _ = enrolled(session, key=key)
        _score(session, cooled_lead, "warm", MONDAY - timedelta(days=3))
        _score(session, cooled_lead, "cold", MONDAY - timedelta(days=1))
        queued, queued_lead, _ = enrolled(session, key=key)
        session.add(
            QueuedLead(lead_id=queued_lead, segment="smb", band="hot", probability=0.9, why="t")
        )
    run_tick(sessions, config=config(), now=MONDAY)
    with sessions() as session:
        by = {s[0]: s[3] for s in sends(session)}
        assert by == {looked: "pricing", warm: "warm", cooled: "rest"}
        assert get_enrollment(session, enrollment_id=queued).exit_reason == "became_hot"
