"""A chat's lead events go through the intake, and the chat follows the lead they land on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Conversation


def ingest_chat_events(
    session: Session, *, conversation: Conversation, events: Sequence[EventIn], at: datetime
) -> frozenset[int]:
    """Record a chat's events; point the chat at the lead they land on; return leads touched."""
    result = ingest_events(session, batch=list(events), received_at=at, actor="assistant")
    lead_ids = [o.lead_id for o in result.outcomes if o.lead_id is not None]
    if lead_ids:
        conversation.lead_id = lead_ids[-1]
    return frozenset(result.touched_lead_ids)
