"""The routing policy: from a lead's score, band and facts, decide what happens next. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.rules import RoutingRules, Segment


@dataclass(frozen=True)
class LeadFacts:
    """What the policy knows of a lead."""

    lead_id: int
    email: str | None
    country: str | None
    language: str | None
    team_size: str | None
    probability: float
    band: str
    score_reasons: tuple[str, ...] = ()
    asked_for_human: bool = False
    customer: bool = False
    # The lead itself bought (not only someone at its account).
    bought: bool = False
    account_owner_rep_id: int | None = None


@dataclass(frozen=True)
class AssignRep:
    """Hand the lead to a rep matching its segment (and, preferably, territory and language)."""

    segment: str
    territory: str | None
    language: str | None
    band: str
    probability: float
    sla_minutes: int
    owner_rep_id: int | None
    reasons: tuple[str, ...]
    action: str = "assign"


@dataclass(frozen=True)
class EnrollNurture:
    """Put the lead in its segment's nurture sequence."""

    segment: str
    sequence: str
    band: str
    probability: float
    reasons: tuple[str, ...]
    action: str = "nurture"


@dataclass(frozen=True)
class Disqualify:
    """Take the lead out of routing and nurture."""

    segment: str | None
    band: str
    probability: float
    reasons: tuple[str, ...]
    action: str = "disqualify"


RouteDecision = AssignRep | EnrollNurture | Disqualify
# Score reasons carried into a decision: enough for a rep to see why, short enough to read.
SCORE_REASONS = 3


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def _disqualified_because(facts: LeadFacts, rules: RoutingRules) -> str | None:
    domain = _domain(facts.email)
    listed = rules.disqualify
    if domain is not None:
        if any(domain == d or domain.endswith("." + d) for d in listed.competitor_domains):
            return f"works at a competitor ({domain})"
        if domain in listed.disposable_domains:
            return f"disposable email address ({domain})"
    for pattern in listed.email_patterns:
        if facts.email and re.search(pattern, facts.email, flags=re.IGNORECASE):
            return f"email {facts.email} matches the spam pattern {pattern!r}"
    return None


def _assign(
    facts: LeadFacts, rules: RoutingRules, segment: Segment, *, band: str, why: list[str]
) -> AssignRep:
    return AssignRep(
        segment=segment.name,
        territory=rules.territory_of(facts.country),
        language=(facts.language or "").lower() or None,
        band=band,
        probability=facts.probability,
        sla_minutes=rules.sla_minutes.for_band(band),
        owner_rep_id=facts.account_owner_rep_id,
        reasons=(*why, *facts.score_reasons[:SCORE_REASONS]),
    )


def decide(facts: LeadFacts, rules: RoutingRules) -> RouteDecision:
    """Return what happens to a lead now, with the reasons a person can read."""
    segment = rules.segment_of(team_size=facts.team_size, country=facts.country)
    spam = _disqualified_because(facts, rules)
    if spam is not None:
        return Disqualify(segment.name, facts.band, facts.probability, (spam,))
    hard = rules.hard_rules
    owned = facts.account_owner_rep_id is not None
    if facts.customer and owned and hard.existing_customer == "account_owner":
        why = ["existing customer: goes to the account owner"]
        return _assign(facts, rules, segment, band=facts.band, why=why)
    if facts.asked_for_human and hard.asked_for_human == "hot":
        return _assign(facts, rules, segment, band="hot", why=["asked to talk to a person"])
    if facts.bought:
        # A buyer is not a prospect to sell to by score: onboarding, until they ask for a person.
        onboarding = ("bought already: customer onboarding, not a sales lead",)
        sequence = hard.customer_sequence
        return EnrollNurture(segment.name, sequence, facts.band, facts.probability, onboarding)
    if facts.probability >= segment.assign_at:
        why = [f"score {facts.probability:.0%} ≥ {segment.assign_at:.0%} for {segment.name}"]
        return _assign(facts, rules, segment, band=facts.band, why=why)
    why = [f"score {facts.probability:.0%} < {segment.assign_at:.0%} for {segment.name}"]
    return EnrollNurture(
        segment.name,
        segment.nurture,
        facts.band,
        facts.probability,
        (*why, *facts.score_reasons[:SCORE_REASONS]),
    )
