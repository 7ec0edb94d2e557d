"""The engine's task bodies without a broker: sends queued per committed batch, routing handoffs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clinch.nurture_tasks import chunks, tick_now
from clinch.routing_tasks import nurture_handoffs
from leads.nurture_models import NurtureSend
from routing.service import Routed
from tests.nurture.factories_engine import MONDAY, config, enrolled, save


def test_sends_are_queued_after_each_batch_commits_in_chunks(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        key = save(session)  # two emails in a row
        for _ in range(7):
            enrolled(session, key=key)
    queued: list[list[int]] = []

    def queue_sends(ids: list[int]) -> None:
        with sessions() as session:  # what the send task will read: already committed
            stored = session.scalar(
                select(func.count()).select_from(NurtureSend).where(NurtureSend.id.in_(ids))
            )
        assert stored == len(ids)
        queued.append(ids)

    result = tick_now(
        sessions, config(batch_size=3, max_emails_per_week=5), queue_sends=queue_sends, now=MONDAY
    )
    assert [len(ids) for ids in queued] == [6, 6, 2]
    assert sorted(i for ids in queued for i in ids) == sorted(result.send_ids)


def test_chunks_keep_order_and_size() -> None:
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunks([], 3) == []


def test_routing_enrolls_nurtured_leads_and_releases_those_a_rep_has() -> None:
    routed = [
        Routed(lead_id=1, action="nurture"),
        Routed(lead_id=2, action="assigned", rep_id=5),
        Routed(lead_id=3, action="queued"),
        Routed(lead_id=4, action="unchanged"),
        Routed(lead_id=1, action="nurture"),
    ]
    assert nurture_handoffs(routed) == ([1], [2, 3])
