"""Plain factories of the routing tests: reps from a reps file, leads through the real intake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.reps import upsert_reps
from leads.reps_file import parse_reps
from leads.scores import add_score
from routing.rules import parse_rules, rules_version
from routing.service import LoadedRules

# Monday 9 March 2026, 15:00 UTC: 11:00 in New York, 16:00 in Berlin, 23:00 in Singapore.
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
RULES_TEXT = """
territories: {north-america: [US, CA], emea: [DE, GB]}
segments:
  - {name: enterprise, when: {team_size: ["1000+"]}, assign_at: 0.3, nurture: ent-nurture}
  - {name: smb, assign_at: 0.6, nurture: smb-nurture}
disqualify: {competitor_domains: [rival.test], disposable_domains: [mailinator.com]}
sla_minutes: {hot: 5, warm: 30, cold: 240}
"""
REPS_TEXT = """
reps:
  - {name: Ann NY, email: ann@q.test, team: sales, segments: [smb, enterprise],
     territory: north-america, timezone: America/New_York, capacity: 4}
  - {name: Ben Berlin, email: ben@q.test, team: sales, segments: [smb], territory: emea,
     languages: [en, de], timezone: Europe/Berlin, capacity: 2}
  - {name: Cy Singapore, email: cy@q.test, team: sales, segments: [smb, enterprise],
     territory: apac, timezone: Asia/Singapore, capacity: 4}
  - {name: Max Manager, email: max@q.test, team: sales, timezone: America/New_York,
     capacity: 0, is_manager: true}
"""
_events = count(1)


def loaded(text: str = RULES_TEXT) -> LoadedRules:
    """Return rules parsed from YAML with their version."""
    return LoadedRules(parse_rules(text), rules_version(text))


def add_reps(session: Session, text: str = REPS_TEXT) -> None:
    """Load reps from a reps-file document."""
    upsert_reps(session, reps=parse_reps(text))


def make_lead(
    session: Session,
    *,
    email: str,
    probability: float,
    band: str | None = None,
    country: str = "US",
    team_size: str = "11-50",
    language: str | None = None,
    event_type: str = "form_submit",
    at: datetime = MONDAY,
) -> int:
    """Create a lead through the intake and give it a score; return its id."""
    traits: dict[str, object] = {"country": country, "team_size": team_size}
    if language:
        traits["language"] = language
    result = ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"ev-{next(_events)}",
                type=event_type,
                occurred_at=at - timedelta(minutes=1),
                email=email,
                properties=traits,
            )
        ],
        received_at=at,
    )
    lead_id = result.outcomes[0].lead_id
    assert lead_id is not None
    score(session, lead_id=lead_id, probability=probability, band=band, at=at)
    return lead_id


def score(
    session: Session, *, lead_id: int, probability: float, band: str | None = None, at: datetime
) -> None:
    """Store a score for a lead."""
    add_score(
        session,
        lead_id=lead_id,
        probability=probability,
        band=band or ("hot" if probability >= 0.5 else "warm" if probability >= 0.2 else "cold"),
        model_version="test",
        features_version="test",
        reasons=[{"text": "visited pricing 3 times"}],
        scored_at=at,
    )


def ask_for_person(session: Session, *, lead_id: int, at: datetime) -> None:
    """Record that the lead asked to talk to a person."""
    ingest_events(
        session,
        batch=[
            EventIn(
                event_id=f"ev-{next(_events)}",
                type="handoff_requested",
                occurred_at=at,
                lead_id=lead_id,
            )
        ],
        received_at=at + timedelta(seconds=1),
    )


def utc(hours: float) -> datetime:
    """Return MONDAY plus some hours."""
    return MONDAY + timedelta(hours=hours)
