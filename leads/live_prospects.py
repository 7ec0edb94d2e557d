"""Prospects active right now, for the demo: browsing, pricing, a form, and some ask for a person.

The funnel simulator (`leads/simulator.py`) fills months of history; these few arrive in the last
hours before `end`, so a fresh demo has leads for the router to hand to the reps on shift. Seeded
and keyed by stable event ids: running it again adds nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from leads.event_rules import EventIn

# Country, language, and a team size per segment of the demo's routing rules.
_PLACES = (
    ("US", "en"),
    ("DE", "de"),
    ("SG", "en"),
    ("MX", "es"),
    ("GB", "en"),
    ("IN", "en"),
    ("BR", "pt"),
    ("CA", "en"),
)
_TEAM_SIZES = ("1000+", "201-1000", "51-200", "11-50", "1-10")
_ROLES = ("Head of Documentation", "VP Engineering", "Developer Advocate", "CTO")
_COMPANIES = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware")
_QUESTIONS = (
    "Can someone walk us through SSO and the audit log?",
    "We need a quote for 300 seats, who can I talk to?",
    "Is there a person I can talk to about migrating from Confluence?",
)


def _prospect(rng: random.Random, number: int, *, end: datetime) -> list[EventIn]:
    country, language = _PLACES[number % len(_PLACES)]
    company = f"{_COMPANIES[number % len(_COMPANIES)]} {number}"
    email = f"live{number}@{company.split()[0].lower()}{number}.example"
    at = end - timedelta(minutes=rng.uniform(15, 180))
    steps: list[tuple[str, dict[str, object]]] = [
        ("docs_view", {"path": "/docs/product/overview"}),
        ("docs_view", {"path": "/docs/security/sso-saml"}),
        ("pricing_view", {"path": "/pricing"}),
        (
            "form_submit",
            {
                "name": f"Live Prospect {number}",
                "company": company,
                "role": rng.choice(_ROLES),
                "team_size": _TEAM_SIZES[number % len(_TEAM_SIZES)],
                "country": country,
                "language": language,
            },
        ),
        ("pricing_view", {"path": "/pricing"}),
        ("trial_started", {"plan": "business"}),
    ]
    if number % 2 == 0:
        steps.append(("handoff_requested", {"text": rng.choice(_QUESTIONS)}))
    events = []
    for step, (kind, properties) in enumerate(steps):
        at += timedelta(minutes=rng.uniform(1, 6))
        events.append(
            EventIn(
                event_id=f"live-{number}-{step}",
                type=kind,
                occurred_at=min(at, end),
                email=email,
                utm_source="google",
                utm_medium="cpc",
                properties=properties,
            )
        )
    return events


def live_prospects(*, count: int, seed: int, end: datetime) -> list[list[EventIn]]:
    """Return `count` prospects' events from the last three hours; every other one asks."""
    rng = random.Random(seed)
    return [_prospect(rng, number, end=end) for number in range(1, count + 1)]
