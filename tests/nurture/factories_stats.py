"""Plain factories of the stats tests: a sequence, leads, enrollments and their history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Lead
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog, NurtureTemplate
from nurture import sequences
from nurture.sequence_file import parse_sequence

AT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
TEMPLATES = ("welcome", "offer-a", "offer-b")
AB_SEQUENCE = """
key: ab
name: A/B offers
steps:
  - {id: welcome, email: welcome}
  - {id: pause, wait: 2d}
  - id: offer-test
    split:
      - {name: A, weight: 1, goto: offer-a}
      - {name: B, weight: 1, goto: offer-b}
  - {id: offer-a, email: offer-a, next: done}
  - {id: offer-b, email: offer-b}
  - {id: done, exit: completed}
"""
_leads = count(1)
_events = count(1)


def add_templates(session: Session, names: tuple[str, ...] = TEMPLATES) -> None:
    """Put minimal templates with these names in the library."""
    for name in names:
        session.add(
            NurtureTemplate(
                name=name,
                subject=f"{name} for {{{{ lead.first_name }}}}",
                text=f"Hello {{{{ lead.first_name }}}}, this is {name}.",
                html=f"<p>Hello {{{{ lead.first_name }}}}, this is <b>{name}</b>.</p>",
                content_hash=name,
                updated_at=AT,
            )
        )
    session.flush()


def save(session: Session, text: str = AB_SEQUENCE, *, at: datetime = AT) -> int:
    """Store a sequence definition as a new version; return the sequence's id."""
    parsed = parse_sequence(text, templates=None)
    sequences.save_sequence(session, parsed, source="test", actor="test", at=at)
    return sequences.get_sequence(session, key=parsed.sequence.key).id


def make_lead(session: Session, *, email: str | None = None, name: str = "Dana Doe") -> int:
    """Add a lead; return its id."""
    lead = Lead(email=email or f"lead{next(_leads)}@stats.example", name=name, company="Acme")
    session.add(lead)
    session.flush()
    return lead.id


def prospect(
    session: Session,
    *,
    email: str,
    name: str = "Dana Doe",
    company: str = "Acme",
    timezone: str = "Europe/Berlin",
    team_size: str = "11-50",
    consent: bool | None = True,
    events: tuple[str, ...] = (),
    at: datetime = AT,
) -> int:
    """Create a lead through the real intake (traits, consent, events); return its id."""
    traits = {"name": name, "company": company, "timezone": timezone, "team_size": team_size}
    batch = [_event("form_submit", email, at - timedelta(hours=1), traits)]
    if consent is not None:
        kind = "consent_given" if consent else "consent_withdrawn"
        batch.append(_event(kind, email, at - timedelta(minutes=50), {"purpose": "marketing"}))
    batch.extend(_event(kind, email, at - timedelta(minutes=40), {}) for kind in events)
    result = ingest_events(session, batch=batch, received_at=at)
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    return lead_id


def _event(kind: str, email: str, at: datetime, properties: dict[str, str]) -> EventIn:
    return EventIn(
        event_id=f"stats-{next(_events)}",
        type=kind,
        occurred_at=at,
        email=email,
        properties=properties,
    )


def enroll(
    session: Session,
    *,
    sequence_id: int,
    version: int = 1,
    status: str = "active",
    step_id: str | None = "welcome",
    variants: dict[str, str] | None = None,
    at: datetime = AT,
) -> Enrollment:
    """Add an enrollment of a new lead in a sequence."""
    enrollment = Enrollment(
        lead_id=make_lead(session),
        sequence_id=sequence_id,
        version=version,
        status=status,
        step_id=step_id,
        variants=variants or {},
        entered_at=at,
        next_run_at=at if status == "active" else None,
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def log(
    session: Session,
    enrollment: Enrollment,
    *kinds_at: tuple[str, str],
    at: datetime = AT,
    flush: bool = True,
) -> None:
    """Write step-log rows (step id, kind) for an enrollment, a minute apart."""
    for minutes, (step_id, kind) in enumerate(kinds_at):
        session.add(
            NurtureStepLog(
                enrollment_id=enrollment.id,
                sequence_id=enrollment.sequence_id,
                version=enrollment.version,
                step_id=step_id,
                variant=enrollment.variants.get(step_id),
                kind=kind,
                at=at + timedelta(minutes=minutes),
            )
        )
    if flush:
        session.flush()


def send(
    session: Session,
    enrollment: Enrollment,
    *,
    step_id: str,
    template: str | None = None,
    status: str = "sent",
    clicked: bool = False,
    at: datetime = AT,
    flush: bool = True,
) -> NurtureSend:
    """Add an outbox row of an enrollment's email step (sent, clicked when asked)."""
    row = NurtureSend(
        enrollment_id=enrollment.id,
        step_id=step_id,
        visit=1,
        lead_id=enrollment.lead_id,
        sequence_id=enrollment.sequence_id,
        version=enrollment.version,
        template=template or step_id,
        status=status,
        next_attempt_at=at,
        created_at=at,
        sent_at=at if status == "sent" else None,
        clicked_at=at + timedelta(hours=1) if clicked else None,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def split_arm(
    session: Session,
    *,
    sequence_id: int,
    variant: str,
    leads: int,
    clicked: int = 0,
    converted: int = 0,
    at: datetime = AT,
) -> None:
    """Add `leads` enrollments that drew `variant`; the first `clicked` click, `converted` buy."""
    step = "offer-a" if variant == "A" else "offer-b"
    people = [
        Lead(email=f"lead{next(_leads)}@stats.example", name="Arm Lead") for _ in range(leads)
    ]
    session.add_all(people)
    session.flush()
    enrollments = [
        Enrollment(
            lead_id=person.id,
            sequence_id=sequence_id,
            version=1,
            status="converted" if i < converted else "completed",
            step_id=None,
            variants={"offer-test": variant},
            entered_at=at,
        )
        for i, person in enumerate(people)
    ]
    session.add_all(enrollments)
    session.flush()
    for i, enrollment in enumerate(enrollments):
        log(session, enrollment, ("offer-test", "entered"), (step, "entered"), at=at, flush=False)
        send(
            session,
            enrollment,
            step_id=step,
            clicked=i < clicked,
            at=at + timedelta(minutes=2),
            flush=False,
        )
    session.flush()
