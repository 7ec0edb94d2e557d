"""What a batch of claimed sends needs, read in a few queries rather than several per send.

The leads (followed through merges), their standing marketing consent, the enrollments, the
templates and the pages each lead read last: one query each for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads.event_rules import DEFAULT_PURPOSE
from leads.identity import current_lead
from leads.models import Consent, Lead
from leads.nurture_models import Enrollment, NurtureSend, NurtureTemplate
from nurture.personalisation import pages_of_leads
from nurture.rendering import Items, TemplateParts


@dataclass(frozen=True)
class SendFacts:
    """The rows a batch of sends is checked and rendered with, keyed by id or name."""

    leads: dict[int, Lead | None]  # by the send's lead id
    consents: dict[int, tuple[bool, str]]  # by the current lead's id: (granted, source)
    enrollments: dict[int, Enrollment]
    templates: dict[str, TemplateParts]
    pages: dict[int, Items]  # by the current lead's id


def _leads(session: Session, lead_ids: set[int]) -> dict[int, Lead | None]:
    rows = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))}
    found: dict[int, Lead | None] = {}
    for lead_id in lead_ids:
        lead = rows.get(lead_id)
        if lead is not None and lead.merged_into_id is not None:
            lead = current_lead(session, lead_id=lead_id)
        found[lead_id] = lead
    return found


def standing_consents(session: Session, lead_ids: Iterable[int]) -> dict[int, tuple[bool, str]]:
    """Return each lead's latest marketing decision and its source (latest recorded wins)."""
    query = (
        select(Consent.lead_id, Consent.granted, Consent.source)
        .where(Consent.lead_id.in_(set(lead_ids)), Consent.purpose == DEFAULT_PURPOSE)
        .order_by(Consent.lead_id, Consent.recorded_at, Consent.id)
    )
    return {row.lead_id: (bool(row.granted), str(row.source)) for row in session.execute(query)}


def _templates(session: Session, names: set[str]) -> dict[str, TemplateParts]:
    rows = session.scalars(select(NurtureTemplate).where(NurtureTemplate.name.in_(names)))
    return {
        row.name: TemplateParts(name=row.name, subject=row.subject, text=row.text, html=row.html)
        for row in rows
    }


def load_facts(session: Session, sends: Sequence[NurtureSend]) -> SendFacts:
    """Read everything these sends are checked and rendered with."""
    leads = _leads(session, {send.lead_id for send in sends})
    current = {lead.id for lead in leads.values() if lead is not None}
    enrollment_ids = {send.enrollment_id for send in sends}
    enrollments = session.scalars(select(Enrollment).where(Enrollment.id.in_(enrollment_ids)))
    return SendFacts(
        leads=leads,
        consents=standing_consents(session, current),
        enrollments={row.id: row for row in enrollments},
        templates=_templates(session, {send.template for send in sends}),
        pages=pages_of_leads(session, lead_ids=current),
    )
