"""Score history and staleness: a burst of events needs one rescoring, not one per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.scores import add_score, latest_scores, stale_lead_ids

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def _event(n: int, email: str, at: datetime) -> EventIn:
    return EventIn(event_id=f"e{n}-{email}", type="page_view", occurred_at=at, email=email)


def _score(
    session: Session, lead_id: int, p: float, at: datetime, *, events_seen: int | None = 1
) -> None:
    add_score(
        session,
        lead_id=lead_id,
        probability=p,
        band="warm",
        model_version="v1",
        features_version="f1",
        reasons=[{"text": "x"}],
        scored_at=at,
        events_seen=events_seen,
    )


def test_latest_score_wins_and_history_is_kept(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        result = ingest_events(session, batch=[_event(1, "a@x.example", T0)], received_at=T0)
        (lead_id,) = result.touched_lead_ids
        _score(session, lead_id, 0.1, T0)
        _score(session, lead_id, 0.7, T0 + timedelta(minutes=1))
        session.commit()
        newest = latest_scores(session, lead_ids=[lead_id])[lead_id]
    assert newest.probability == 0.7
    assert newest.model_version == "v1"


def test_only_leads_with_events_their_score_did_not_see_are_stale(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        first = ingest_events(
            session,
            batch=[_event(1, "a@x.example", T0), _event(2, "b@x.example", T0)],
            received_at=T0,
        )
        ids = sorted(first.touched_lead_ids)
        assert stale_lead_ids(session, lead_ids=ids) == ids
        for lead_id in ids:
            _score(session, lead_id, 0.2, T0 + timedelta(seconds=5))
        assert stale_lead_ids(session, lead_ids=ids) == []
        later = T0 + timedelta(seconds=10)
        ingest_events(session, batch=[_event(3, "b@x.example", later)], received_at=later)
        session.commit()
        stale = stale_lead_ids(session, lead_ids=ids)
        b_id = first.outcomes[1].lead_id
    assert stale == [b_id]
    with sessions() as session:
        assert latest_scores(session, lead_ids=[]) == {}


def test_an_event_committed_after_a_later_stamped_score_still_makes_the_lead_stale(
    sessions: sessionmaker[Session],
) -> None:
    # The event was received (stamped) before the score but committed after it was computed.
    with sessions() as session:
        first = ingest_events(session, batch=[_event(1, "a@x.example", T0)], received_at=T0)
        (lead_id,) = first.touched_lead_ids
        _score(session, lead_id, 0.2, T0 + timedelta(seconds=5), events_seen=1)
        late = T0 + timedelta(seconds=1)
        ingest_events(session, batch=[_event(2, "a@x.example", late)], received_at=late)
        session.commit()
        assert stale_lead_ids(session, lead_ids=[lead_id]) == [lead_id]


def test_a_score_without_an_event_count_counts_as_stale(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        first = ingest_events(session, batch=[_event(1, "a@x.example", T0)], received_at=T0)
        (lead_id,) = first.touched_lead_ids
        _score(session, lead_id, 0.2, T0 + timedelta(seconds=5), events_seen=None)
        session.commit()
        assert stale_lead_ids(session, lead_ids=[lead_id]) == [lead_id]
