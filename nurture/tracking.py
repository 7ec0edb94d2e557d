"""What a reader does with a nurture email: clicks, opens and unsubscribes, as lead events.

Each becomes an event through the lead store's idempotent intake, with an event id fixed by
the send (and, for a click, the URL), so a replayed link stores one event. The first click on
a send sets `clicked_at` and adds a `clicked` row to the step log, which the funnel counts.
Nothing here commits; the caller queues rescoring and exits after its commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leads.event_rules import DEFAULT_PURPOSE, EventIn
from leads.intake import ingest_events
from leads.models import Consent
from leads.nurture_models import NurtureSend
from nurture.links import Click
from nurture.sending import log_step, marketing_consent

ACTOR = "nurture-links"
UNSUBSCRIBE_SOURCE = "nurture unsubscribe link"


@dataclass(frozen=True)
class Tracked:
    """What a link did: the lead it was about (None if the send is gone), whether it was new."""

    lead_id: int | None
    recorded: bool
    touched_lead_ids: frozenset[int] = frozenset()


def _properties(send: NurtureSend, **more: Any) -> dict[str, Any]:
    return {
        "send_id": send.id,
        "template": send.template,
        "sequence_id": send.sequence_id,
        "step_id": send.step_id,
        "variant": send.variant,
        **more,
    }


def _ingest(session: Session, event: EventIn, *, now: datetime) -> Tracked:
    result = ingest_events(session, batch=[event], received_at=now, actor=ACTOR)
    outcome = result.outcomes[0]
    return Tracked(
        lead_id=outcome.lead_id,
        recorded=outcome.status == "accepted",
        touched_lead_ids=result.touched_lead_ids,
    )


def click_event_id(send_id: int, url: str) -> str:
    """Return the event id of a click on one URL of one send (the same on every replay)."""
    return f"nurture-click-{send_id}-{hashlib.sha256(url.encode()).hexdigest()[:20]}"


def record_click(session: Session, *, click: Click, now: datetime) -> Tracked:
    """Store a click as an `email_clicked` event; the first click of a send marks it clicked."""
    send = session.get(NurtureSend, click.send_id)
    if send is None:
        return Tracked(lead_id=None, recorded=False)
    event = EventIn(
        event_id=click_event_id(send.id, click.url),
        type="email_clicked",
        occurred_at=now,
        lead_id=send.lead_id,
        properties=_properties(send, url=click.url),
    )
    tracked = _ingest(session, event, now=now)
    first = session.execute(
        update(NurtureSend)
        .where(NurtureSend.id == send.id, NurtureSend.clicked_at.is_(None))
        .values(clicked_at=now)
        .execution_options(synchronize_session=False)
    )
    if first.rowcount == 1:  # type: ignore[attr-defined]
        log_step(session, send, kind="clicked", detail=click.url, at=now)
    return tracked


def record_open(session: Session, *, send_id: int, now: datetime) -> Tracked:
    """Store the first open of a send as an `email_opened` event and set `opened_at`."""
    send = session.get(NurtureSend, send_id)
    if send is None:
        return Tracked(lead_id=None, recorded=False)
    event = EventIn(
        event_id=f"nurture-open-{send.id}",
        type="email_opened",
        occurred_at=now,
        lead_id=send.lead_id,
        properties=_properties(send),
    )
    tracked = _ingest(session, event, now=now)
    session.execute(
        update(NurtureSend)
        .where(NurtureSend.id == send.id, NurtureSend.opened_at.is_(None))
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    )
    return tracked


def unsubscribe(session: Session, *, send_id: int, now: datetime) -> Tracked:
    """Withdraw the lead's marketing consent with an `unsubscribe` event (once while it stands)."""
    send = session.get(NurtureSend, send_id)
    if send is None:
        return Tracked(lead_id=None, recorded=False)
    standing = marketing_consent(session, lead_id=send.lead_id)
    if standing is not None and not standing[0]:
        return Tracked(lead_id=send.lead_id, recorded=False)  # already unsubscribed
    # Counting earlier decisions keeps the id fixed for replays, yet lets a lead who opted in
    # again unsubscribe again with the same link.
    decisions = session.scalar(
        select(func.count(Consent.id)).where(
            Consent.lead_id == send.lead_id, Consent.purpose == DEFAULT_PURPOSE
        )
    )
    event = EventIn(
        event_id=f"nurture-unsubscribe-{send.id}-{int(decisions or 0)}",
        type="unsubscribe",
        occurred_at=now,
        lead_id=send.lead_id,
        properties=_properties(send, purpose=DEFAULT_PURPOSE, source=UNSUBSCRIBE_SOURCE),
    )
    return _ingest(session, event, now=now)
