"""A seeded SaaS funnel: leads, sessions and events, and purchases from a hidden propensity.

It produces the same `EventIn`s a site would send, so everything it makes goes through the real
intake. The propensity is hidden from the store: a model has to learn it from behaviour and
firmographics, which is what makes the simulator useful for training, tests and benchmarks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from leads.event_rules import EventIn

# (utm_source, utm_medium, referrer, weight, intent lift): how leads arrive and how much each
# channel says about intent.
_CHANNELS: tuple[tuple[str | None, str | None, str | None, float, float], ...] = (
    ("google", "cpc", "https://www.google.com/", 0.22, 0.5),
    (None, None, "https://www.google.com/", 0.28, 0.2),
    ("newsletter", "email", None, 0.10, 0.3),
    ("linkedin", "social", "https://www.linkedin.com/", 0.12, -0.2),
    (None, None, "https://news.ycombinator.com/", 0.08, 0.0),
    (None, None, None, 0.20, 0.1),
)
_TEAM_SIZES = (
    ("1-10", 0.35, -0.6),
    ("11-50", 0.30, 0.2),
    ("51-200", 0.20, 0.6),
    ("201-1000", 0.10, 0.8),
    ("1000+", 0.05, 0.4),
)
_ROLES = (
    ("Engineer", 0.35, -0.1),
    ("Engineering Manager", 0.2, 0.5),
    ("CTO", 0.08, 0.7),
    ("Technical Writer", 0.17, 0.2),
    ("Student", 0.1, -1.2),
    ("Product Manager", 0.1, 0.3),
)
_INDUSTRIES = ("software", "fintech", "healthcare", "education", "retail", "media")
_COUNTRIES = ("US", "DE", "GB", "FR", "IN", "BR", "CA", "NL")
_PLANS = (("team", Decimal("8.50")), ("business", Decimal("15")))
_DOC_PAGES = (
    "/docs/product/overview",
    "/docs/integrations/github",
    "/docs/security/sso-saml",
    "/docs/product/quill-ai",
    "/docs/limits",
    "/docs/getting-started/quickstart",
)


@dataclass(frozen=True)
class SimulatedLead:
    """One simulated prospect and the truth the store never sees."""

    number: int
    email: str
    anonymous_id: str
    company: str
    role: str
    team_size: str
    industry: str
    country: str
    channel: int
    interest: float
    propensity: float
    converted: bool
    first_seen: datetime


def _pick(rng: random.Random, options: tuple[tuple[str, float, float], ...]) -> tuple[str, float]:
    value, _, lift = rng.choices(options, weights=[o[1] for o in options])[0]
    return value, lift


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def make_lead(rng: random.Random, number: int, *, start: datetime, days: int) -> SimulatedLead:
    """Draw one lead: who they are, how they arrive, how interested, and whether they buy."""
    team, team_lift = _pick(rng, _TEAM_SIZES)
    role, role_lift = _pick(rng, _ROLES)
    channel = rng.choices(range(len(_CHANNELS)), weights=[c[3] for c in _CHANNELS])[0]
    interest = rng.gauss(0.0, 1.0) + _CHANNELS[channel][4]
    # The hidden propensity: mostly intent (seen only through behaviour), partly fit.
    logit = -3.1 + 1.5 * interest + team_lift + role_lift + rng.gauss(0.0, 0.4)
    propensity = _sigmoid(logit)
    company = f"{rng.choice(('Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'))} {number}"
    return SimulatedLead(
        number=number,
        email=f"lead{number}@{company.split()[0].lower()}{number}.example",
        anonymous_id=f"anon-{number:08d}",
        company=company,
        role=role,
        team_size=team,
        industry=rng.choice(_INDUSTRIES),
        country=rng.choice(_COUNTRIES),
        channel=channel,
        interest=interest,
        propensity=propensity,
        converted=rng.random() < propensity,
        first_seen=start + timedelta(seconds=rng.uniform(0, days * 86400 * 0.8)),
    )


class _Events:
    """Builds one lead's events with the lead's touchpoint and ids."""

    def __init__(self, lead: SimulatedLead, end: datetime) -> None:
        self.lead, self.end, self.count = lead, end, 0
        self.source, self.medium, self.referrer = _CHANNELS[lead.channel][:3]

    def make(self, kind: str, at: datetime, *, known: bool, **properties: object) -> EventIn | None:
        if at > self.end:
            return None
        self.count += 1
        amount = properties.pop("amount", None)
        return EventIn(
            event_id=f"sim-{self.lead.number}-{self.count}",
            type=kind,
            occurred_at=at,
            email=self.lead.email if known else None,
            anonymous_id=self.lead.anonymous_id,
            utm_source=self.source,
            utm_medium=self.medium,
            referrer=self.referrer,
            properties=properties,
            amount=amount if isinstance(amount, Decimal) else None,
            currency="USD" if amount is not None else None,
            plan=str(properties.get("plan")) if amount is not None else None,
            period=str(properties.get("period")) if amount is not None else None,
        )


def _sessions(rng: random.Random, lead: SimulatedLead) -> int:
    return max(1, min(40, int(rng.expovariate(1.0) * (2.0 + 2.0 * max(lead.interest, -0.5)))))


def _browse(
    rng: random.Random, lead: SimulatedLead, ev: _Events, at: datetime, known: bool
) -> list[EventIn | None]:
    out: list[EventIn | None] = [ev.make("page_view", at, known=known, path="/")]
    for _ in range(rng.randint(0, 3)):
        at += timedelta(seconds=rng.uniform(20, 240))
        out.append(ev.make("docs_view", at, known=known, path=rng.choice(_DOC_PAGES)))
    if rng.random() < _sigmoid(lead.interest - 0.5):
        at += timedelta(seconds=rng.uniform(20, 200))
        out.append(ev.make("pricing_view", at, known=known, path="/pricing"))
    if rng.random() < 0.08 + 0.1 * max(lead.interest, 0):
        out.append(
            ev.make(
                "chat_message",
                at + timedelta(seconds=30),
                known=known,
                text="How does pricing work for my team?",
            )
        )
    return out


def lead_events(rng: random.Random, lead: SimulatedLead, *, end: datetime) -> list[EventIn]:
    """Return one lead's events in time order: browsing, sign-up, trial, email, purchase."""
    ev = _Events(lead, end)
    out: list[EventIn | None] = []
    at, known = lead.first_seen, False
    signs_up = rng.random() < _sigmoid(lead.interest + 0.3)
    for session in range(_sessions(rng, lead)):
        out += _browse(rng, lead, ev, at, known)
        if session == 0 and signs_up:
            known = True
            out.append(
                ev.make(
                    "form_submit",
                    at + timedelta(minutes=5),
                    known=True,
                    name=f"Lead {lead.number}",
                    company=lead.company,
                    role=lead.role,
                    team_size=lead.team_size,
                    industry=lead.industry,
                    country=lead.country,
                )
            )
            if rng.random() < 0.7:
                out.append(
                    ev.make(
                        "consent_given",
                        at + timedelta(minutes=5, seconds=1),
                        known=True,
                        purpose="marketing",
                        source="signup_form",
                    )
                )
        if known and rng.random() < 0.35:
            out.append(ev.make("email_opened", at + timedelta(hours=20), known=True))
            if rng.random() < _sigmoid(lead.interest - 1.0):
                out.append(
                    ev.make("email_clicked", at + timedelta(hours=20, minutes=2), known=True)
                )
        at += timedelta(hours=rng.expovariate(1 / 30.0))
    if known and rng.random() < _sigmoid(lead.interest):
        out.append(
            ev.make(
                "trial_started", lead.first_seen + timedelta(hours=1), known=True, plan="business"
            )
        )
    if known and lead.converted:
        out += _purchase(rng, lead, ev, at)
    events = [e for e in out if e is not None]
    return sorted(events, key=lambda e: e.occurred_at)


def _purchase(
    rng: random.Random, lead: SimulatedLead, ev: _Events, at: datetime
) -> list[EventIn | None]:
    plan, price = rng.choice(_PLANS)
    seats = {"1-10": 5, "11-50": 20, "51-200": 60, "201-1000": 150, "1000+": 300}[lead.team_size]
    out: list[EventIn | None] = []
    if rng.random() < 0.5:
        out.append(ev.make("meeting_booked", at - timedelta(hours=30), known=True))
    out.append(ev.make("checkout_started", at - timedelta(minutes=10), known=True, plan=plan))
    out.append(
        ev.make(
            "purchase",
            at,
            known=True,
            plan=plan,
            period="monthly",
            seats=seats,
            amount=price * seats,
        )
    )
    return out


def simulate(
    *, leads: int, seed: int, end: datetime, days: int = 90
) -> Iterator[tuple[SimulatedLead, list[EventIn]]]:
    """Yield each simulated lead with its events, deterministically for a seed."""
    rng = random.Random(seed)
    start = end - timedelta(days=days)
    for number in range(1, leads + 1):
        lead = make_lead(rng, number, start=start, days=days)
        yield lead, lead_events(rng, lead, end=end)
