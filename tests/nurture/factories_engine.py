"""Plain factories of the engine tests: sequences, facts, config, and leads in a real store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.nurture_models import NurtureTemplate
from nurture import sequences
from nurture.config import NurtureConfig
from nurture.definition import Sequence
from nurture.enrollments import enroll
from nurture.facts import LeadFacts, Position
from nurture.sequence_file import parse_sequence

# Monday 9 March 2026, 15:00 UTC: 11:00 in New York, 16:00 in Berlin, 23:00 in Singapore.
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
TWO_EMAILS = """
key: two-emails
name: Two emails
steps:
  - {id: hello, email: welcome}
  - {id: again, email: offer}
"""
_events = count(1)
_leads = count(1)


def config(**values: Any) -> NurtureConfig:
    """Return a config with test addresses; quiet hours off unless given."""
    base: dict[str, Any] = {
        "public_url": "http://clinch.test",
        "company_name": "Clinch test",
        "sender": "nurture@clinch.test",
        "quiet_start": time(0, 0),
        "quiet_end": time(0, 0),
    }
    return NurtureConfig(**{**base, **values})


def sequence(text: str) -> Sequence:
    """Return the checked steps of a sequence file (templates not checked)."""
    return parse_sequence(text, templates=None).sequence


def facts(lead_id: int = 1, **values: Any) -> LeadFacts:
    """Return a consenting lead's facts, in UTC, with an address; override any field."""
    base: dict[str, Any] = {
        "lead_id": lead_id,
        "email": f"lead{lead_id}@engine.test",
        "timezone": "UTC",
        "marketing_consent": True,
    }
    return LeadFacts(**{**base, **values})


def start(
    step_id: str,
    *,
    at: datetime = MONDAY,
    enrollment_id: int = 1,
    started: bool = False,
    visit: int = 1,
    variants: dict[str, str] | None = None,
    due_at: datetime | None = None,
) -> Position:
    """Return a position at a step (not started: the step is entered)."""
    return Position(
        enrollment_id=enrollment_id,
        step_id=step_id,
        visit=visit,
        entered_at=at,
        variants=variants or {},
        started=started,
        due_at=due_at,
    )


def add_templates(session: Session, names: Iterable[str]) -> None:
    """Put minimal templates with these names in the library."""
    for name in names:
        session.add(
            NurtureTemplate(
                name=name,
                subject=f"{name}",
                text=f"Hello, this is {name}.",
                html=None,
                content_hash=name,
                updated_at=MONDAY,
            )
        )
    session.flush()


def save(session: Session, text: str = TWO_EMAILS, *, at: datetime = MONDAY) -> str:
    """Store a sequence definition as a new version (adding its templates); return its key."""
    parsed = parse_sequence(text, templates=None)
    known = {t.name for t in session.query(NurtureTemplate)}
    add_templates(session, sorted(parsed.sequence.templates - known))
    sequences.save_sequence(session, parsed, source="test", actor="test", at=at)
    return parsed.sequence.key


def event(lead_email: str, kind: str, at: datetime, **properties: Any) -> EventIn:
    """Return an event of the lead with this address."""
    extra: dict[str, Any] = {}
    if kind == "purchase":
        extra = {"amount": Decimal(49), "currency": "USD", "plan": "team", "period": "month"}
    return EventIn(
        event_id=f"engine-ev-{next(_events)}",
        type=kind,
        occurred_at=at,
        email=lead_email,
        properties=properties,
        **extra,
    )


def make_lead(
    session: Session,
    *,
    email: str | None = None,
    country: str | None = "US",
    timezone: str | None = None,
    consent: bool | None = True,
    at: datetime = MONDAY - timedelta(days=1),
) -> tuple[int, str]:
    """Create a lead through the intake (identify, then a consent decision); return id, email."""
    address = email or f"lead{next(_leads)}@engine.test"
    traits: dict[str, Any] = {"name": "Dana Doe", "team_size": "11-50"}
    if country:
        traits["country"] = country
    if timezone:
        traits["timezone"] = timezone
    batch = [event(address, "identify", at, **traits)]
    if consent is not None:
        kind = "consent_given" if consent else "consent_withdrawn"
        batch.append(event(address, kind, at + timedelta(seconds=1), purpose="marketing"))
    result = ingest_events(session, batch=batch, received_at=at + timedelta(seconds=2))
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None, result.outcomes
    return lead_id, address


def enrolled(
    session: Session, *, key: str, at: datetime = MONDAY, **lead: Any
) -> tuple[int, int, str]:
    """Create a lead and enroll it; return the enrollment id, lead id and address."""
    lead_id, address = make_lead(session, **lead)
    done = enroll(session, lead_id=lead_id, sequence_key=key, at=at)
    assert done.enrollment_id is not None
    return done.enrollment_id, lead_id, address


def add_event(
    session: Session, lead_email: str, kind: str, at: datetime, **properties: Any
) -> None:
    """Store one event of a known lead through the intake, received when it occurred."""
    result = ingest_events(
        session, batch=[event(lead_email, kind, at, **properties)], received_at=at
    )
    assert result.outcomes[0].status == "accepted", result.outcomes
