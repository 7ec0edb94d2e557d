"""A step's email as one lead would get it, the leads to pick from, and steps in words.

A preview renders the library's current template with the lead's real context (name, company,
recommended plan, pages read) exactly as a send would, except that links go straight to their
targets and the unsubscribe link is a placeholder: a preview is not a send and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.catalog import Catalog
from leads.errors import LeadNotFound
from leads.models import Lead
from nurture.conditions import describe
from nurture.config import NurtureConfig
from nurture.definition import (
    BranchStep,
    EmailStep,
    ExitStep,
    GoalStep,
    SplitStep,
    Step,
    WaitStep,
    describe_wait,
)
from nurture.errors import StepNotFound
from nurture.personalisation import render_for_lead
from nurture.sequences import load_version
from nurture.templates import get_template

MAX_MATCHES = 50


@dataclass(frozen=True)
class StepPreview:
    """A step's email rendered for one lead."""

    key: str
    version: int
    step_id: str
    template: str
    lead_id: int
    to: str | None
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class LeadMatch:
    """A lead found by email."""

    id: int
    email: str | None
    name: str | None
    company: str | None


def describe_step(step: Step) -> str:
    """Return what a step does, as the marketer's page lists it."""
    if isinstance(step, EmailStep):
        return f"send {step.template}"
    if isinstance(step, WaitStep):
        return f"wait {describe_wait(step)}"
    if isinstance(step, BranchStep):
        cases = "; ".join(f"if {describe(c)} → {goto}" for c, goto in step.cases)
        return f"{cases}; otherwise → {step.otherwise}"
    if isinstance(step, SplitStep):
        total = sum(v.weight for v in step.variants)
        arms = ", ".join(f"{v.name} {v.weight / total:.0%} → {v.goto}" for v in step.variants)
        return f"A/B split: {arms}"
    if isinstance(step, GoalStep):
        return f"goal reached: {step.label}"
    assert isinstance(step, ExitStep)
    return f"end: {step.reason}"


def find_leads(session: Session, *, email: str, limit: int = 20) -> list[LeadMatch]:
    """Return leads whose email contains the text (case-insensitive), by email."""
    text = email.strip().lower()
    if not text:
        return []
    # The marketer's text is matched as it is: LIKE's wildcards in it are escaped.
    needle = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    query = (
        select(Lead.id, Lead.email, Lead.name, Lead.company)
        .where(
            Lead.email.is_not(None),
            Lead.merged_into_id.is_(None),
            Lead.email.like(f"%{needle}%", escape="\\"),
        )
        .order_by(Lead.email)
        .limit(max(1, min(limit, MAX_MATCHES)))
    )
    return [LeadMatch(*row) for row in session.execute(query).tuples()]


def preview_step(
    session: Session,
    *,
    key: str,
    step_id: str,
    lead_id: int,
    config: NurtureConfig,
    catalog: Catalog | None,
    version: int | None = None,
) -> StepPreview:
    """Render an email step's template for a lead (the latest version unless one is named)."""
    number, steps = load_version(session, key=key, version=version)
    try:
        step = steps.step(step_id)
    except KeyError:
        known = ", ".join(s.id for s in steps.steps if isinstance(s, EmailStep))
        raise StepNotFound(
            f"sequence {key!r} version {number} has no step {step_id!r} (email steps: {known})"
        ) from None
    if not isinstance(step, EmailStep):
        kind = type(step).__name__.removesuffix("Step").lower()
        raise StepNotFound(f"step {step_id!r} is a {kind} step: only email steps can be previewed")
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead has id {lead_id}")
    template = get_template(session, name=step.template).parts()
    rendered = render_for_lead(
        session, template=template, lead=lead, config=config, catalog=catalog
    )
    return StepPreview(
        key=key,
        version=number,
        step_id=step_id,
        template=step.template,
        lead_id=lead.id,
        to=lead.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
