"""Plain factories of the mail tests: leads through the real intake, templates, sends as rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from checkout.catalog import Catalog
from checkout.catalog_loader import load_catalog
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.nurture_models import Enrollment, NurtureSend, NurtureSequence
from nurture.config import NurtureConfig
from nurture.template_file import parse_template_library
from nurture.templates import save_templates

DEMO = Path(__file__).resolve().parents[2] / "demo"
# Monday 9 March 2026, 15:00 UTC.
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
PUBLIC_URL = "https://clinch.mail.test"
SENDER = "Quillstack <hello@quillstack.test>"
SECRET = "mail-test-secret"
LIBRARY = """
templates:
  welcome:
    subject: "Welcome to {{ company }}, {{ lead.first_name | default('there') }}"
    text: |
      Hi {{ lead.first_name | default('there') }},

      {% if lead.company %}The {{ lead.company }} team{% else %}Your team{% endif %} fits our
      {{ plan.name }} plan ({{ plan.monthly_price }} per seat a month).
      {% for page in pages %}
      - you read {{ page.title }}
      {% endfor %}
      Start here: {{ checkout_url(plan.id, 'monthly') }}
      Docs: {{ track('https://docs.quillstack.test/start') }}

      Unsubscribe: {{ unsubscribe_url }}
    html: |
      <html><body>
      <p>Hi {{ lead.first_name | default('there') }} &amp; {{ lead.company | default('team') }},</p>
      <p><a href="{{ checkout_url(plan.id, 'monthly') }}">Try {{ plan.name }}</a></p>
      <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
      </body></html>
  offer:
    subject: "An offer on {{ plan.name }}"
    text: "Buy now: {{ checkout_url('team', 'annual') }} / {{ unsubscribe_url }}"
"""
_events = count(1)
_sequences = count(1)


def catalog() -> Catalog:
    """Return the demo company's pricing catalog (free, team, business, enterprise)."""
    return load_catalog(DEMO / "pricing.yaml")


def mail_config(**values: Any) -> NurtureConfig:
    """Return a config with the test addresses and secret; override any field."""
    base: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "company_name": "Quillstack",
        "sender": SENDER,
        "retry_seconds": (60, 300),
        "signing_key": SECRET,
    }
    return NurtureConfig(**{**base, **values})


def event(
    session: Session,
    *,
    lead_id: int | None = None,
    email: str | None = None,
    type: str,
    at: datetime = MONDAY,
    properties: Mapping[str, Any] | None = None,
) -> int:
    """Store one event through the intake; return its lead's id."""
    result = ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"mail-ev-{next(_events)}",
                type=type,
                occurred_at=at,
                email=email,
                lead_id=lead_id,
                properties=dict(properties or {}),
            )
        ],
        received_at=at,
    )
    outcome = result.outcomes[0]
    assert outcome.status == "accepted", outcome.reason
    assert outcome.lead_id is not None
    return outcome.lead_id


def make_lead(
    session: Session,
    *,
    email: str | None = "jane@acme.test",
    traits: Mapping[str, str] | None = None,
    pages: Iterable[Mapping[str, str]] = (),
    at: datetime = MONDAY - timedelta(days=1),
) -> int:
    """Create a lead by a form (traits), then the page views given; return its id."""
    given = {"name": "Jane Doe", "company": "Acme", "team_size": "11-50"}
    given.update(traits or {})
    if email is None:
        lead_id = _anonymous(session, at=at)
        event(session, lead_id=lead_id, type="form_submit", at=at, properties=given)
    else:
        lead_id = event(session, email=email, type="form_submit", at=at, properties=given)
    for minute, page in enumerate(pages, start=1):
        kind = page.get("kind", "docs_view")
        props = {k: v for k, v in page.items() if k != "kind"}
        when = at + timedelta(minutes=minute)
        event(session, lead_id=lead_id, type=kind, at=when, properties=props)
    return lead_id


def _anonymous(session: Session, *, at: datetime) -> int:
    result = ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"mail-ev-{next(_events)}",
                type="page_view",
                occurred_at=at,
                anonymous_id=f"anon-{next(_events)}",
                properties={"path": "/"},
            )
        ],
        received_at=at,
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    return lead_id


def add_templates(session: Session, text: str = LIBRARY) -> None:
    """Check and store a template library."""
    library = parse_template_library(text, source="test library", catalog=catalog())
    save_templates(session, library, actor="test", at=MONDAY)


def make_send(
    session: Session,
    *,
    lead_id: int,
    template: str = "welcome",
    step_id: str = "hello",
    enrollment_status: str = "active",
    exit_reason: str | None = None,
    due: datetime = MONDAY,
    variant: str | None = None,
) -> int:
    """Write an enrollment and its pending send as the engine would; return the send's id."""
    # A sequence per send: a lead may be active in a sequence only once at a time.
    number = next(_sequences)
    sequence = NurtureSequence(key=f"mail-{number}", name=f"Mail tests {number}", latest_version=1)
    session.add(sequence)
    session.flush()
    enrollment = Enrollment(
        lead_id=lead_id,
        sequence_id=sequence.id,
        version=1,
        status=enrollment_status,
        step_id=step_id,
        exit_reason=exit_reason,
        entered_at=due - timedelta(hours=1),
    )
    session.add(enrollment)
    session.flush()
    send = NurtureSend(
        enrollment_id=enrollment.id,
        step_id=step_id,
        visit=1,
        lead_id=lead_id,
        sequence_id=sequence.id,
        version=1,
        template=template,
        variant=variant,
        next_attempt_at=due,
        created_at=due,
    )
    session.add(send)
    session.flush()
    return send.id
