"""Which plan fits, in words: needs read from a message, what a plan covers or falls short on.

The choice itself is pure catalog logic in `checkout.plan_fit`; prices and whole answers are
written in `assistant.pricing`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, Decimal

from checkout.catalog import Catalog, Limit, Plan
from checkout.plan_fit import (
    NEED_LIMITS,
    Needs,
    Shortfall,
    contact_sales_plan,
    is_empty,
    listed_plans,
    matching_feature,
    plan_features,
    shortfalls,
)

__all__ = [
    "NEED_LIMITS",
    "Shortfall",
    "contact_sales_plan",
    "coverage_text",
    "falls_short_text",
    "is_empty",
    "join_names",
    "limit_value",
    "listed_plans",
    "matching_feature",
    "needs_from_text",
    "needs_words",
    "plan_features",
    "shortfalls",
]
_NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
_SEATS = (
    re.compile(
        _NUMBER + r"\s*\+?\s*(?:people|persons|users|seats|members|employees|engineers|developers"
        r"|devs|writers|editors|staff|teammates|licen[cs]es|agents|colleagues)\b"
    ),
    re.compile(r"\bteam of (?:about |around |roughly |~)?" + _NUMBER),
    re.compile(_NUMBER + r"[- ]person\b"),
)
_STORAGE = re.compile(_NUMBER + r"\s*(gb|gigabytes?|tb|terabytes?)\b")
_AI_QUERIES = re.compile(
    _NUMBER + r"\s*(k|thousand)?\s+(?:(?:quill\s+)?ai\s+(?:queries|questions|prompts|answers"
    r"|requests)|queries)\b"
)
# Phrases a prospect uses for a feature, and the term looked for in the plans' feature lists.
_FEATURE_TERMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (term, re.compile(pattern))
    for term, pattern in (
        ("SSO", r"\bsso\b|\bsingle sign[- ]on\b|\bsaml\b"),
        ("SCIM", r"\bscim\b|\buser provisioning\b"),
        ("audit log", r"\baudit (?:logs?|trail)\b"),
        ("IP allowlisting", r"\bip (?:allow|white)[- ]?list"),
        ("uptime SLA", r"\bsla\b|\buptime guarantee\b"),
        ("Webhooks", r"\bwebhooks?\b"),
        ("custom domains", r"\bcustom domains?\b"),
        ("permissions", r"\b(?:page[- ]level|granular|fine[- ]grained) permissions\b"),
        ("encryption keys", r"\bencryption keys?\b|\bbyok\b|\bcmek\b"),
        ("customer success manager", r"\bcustomer success manager\b|\bcsm\b"),
        ("Password-protected", r"\bpassword[- ]protect"),
        ("analytics", r"\banalytics\b"),
        ("OpenAPI", r"\bopen ?api\b|\bswagger\b"),
        ("GitLab", r"\bgitlab\b"),
        ("Jira", r"\bjira\b"),
        ("Zapier", r"\bzapier\b"),
        ("Google Drive", r"\bgoogle drive\b"),
        ("templates", r"\bcustom templates?\b"),
        ("User groups", r"\buser groups?\b"),
        ("24/7", r"\b24/7\b|\bround[- ]the[- ]clock\b"),
        ("invoice", r"\binvoic(?:e|ed|ing)\b"),
    )
)


def needs_from_text(text: str) -> Needs:
    """Read the seats, storage, AI queries and features a message says are needed."""
    lowered = " ".join(text.replace("’", "'").lower().split())
    seats = _largest(
        _thousands(match.group(1), None)
        for pattern in _SEATS
        for match in pattern.finditer(lowered)
    )
    storage = _largest(
        _gigabytes(match.group(1), match.group(2)) for match in _STORAGE.finditer(lowered)
    )
    queries = _largest(
        _thousands(match.group(1), match.group(2)) for match in _AI_QUERIES.finditer(lowered)
    )
    features = tuple(term for term, pattern in _FEATURE_TERMS if pattern.search(lowered))
    return Needs(seats=seats, storage_gb=storage, ai_queries_per_month=queries, features=features)


def coverage_text(catalog: Catalog, plan: Plan, needs: Needs) -> str:
    """Say which of the plan's limits and features cover the needs, in the catalog's words."""
    keys = {key for field_name, key in NEED_LIMITS if getattr(needs, field_name) is not None}
    limits = [limit for limit in plan.limits if limit.key in keys]
    parts = [f"{limit.label}: {limit_value(limit)}" for limit in limits]
    features = plan_features(catalog, plan)
    found = [matching_feature(term, features) for term in needs.features]
    included = list(dict.fromkeys(feature for feature in found if feature is not None))
    said = f"its limits are {join_names(parts)}" if parts else ""
    if included:
        said += f"{', and ' if said else ''}it includes {join_names(included)}"
    return said


def falls_short_text(catalog: Catalog, plan: Plan, needs: Needs) -> str:
    """Say what the plan does not cover, as the limit it stops at or the feature it lacks."""
    missing = shortfalls(catalog, plan, needs)
    return (
        f"The {plan.name} plan is not enough ({join_names([_shortfall_text(s) for s in missing])})."
    )


def _shortfall_text(shortfall: Shortfall) -> str:
    if shortfall.limit is not None:
        return f"{shortfall.limit.label}: {limit_value(shortfall.limit)}"
    return f"no {_safe_term(shortfall.feature or 'feature')}"


def needs_words(needs: Needs) -> str:
    """Name the kinds of need stated, without their figures (the catalog may not have them)."""
    words = [
        word
        for word, value in (
            ("seats", needs.seats),
            ("storage", needs.storage_gb),
            ("AI queries", needs.ai_queries_per_month),
        )
        if value is not None
    ]
    words.extend(_safe_term(term) for term in needs.features)
    return join_names(list(dict.fromkeys(words)))


def _safe_term(term: str) -> str:
    # A need's own wording is echoed only if it carries no figure the catalog might lack.
    return "a feature you named" if re.search(r"\d", term) else term


def limit_value(limit: Limit) -> str:
    """Write a limit's value as the catalog states it, or "unlimited"."""
    return "unlimited" if limit.value is None else f"{limit.value:,}"


def join_names(names: Sequence[str]) -> str:
    """Join names as "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _largest(values: Iterable[int]) -> int | None:
    numbers = list(values)
    return max(numbers) if numbers else None


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _gigabytes(number: str, unit: str) -> int:
    amount = _number(number) * (1000 if unit.startswith(("tb", "tera")) else 1)
    return int(amount.to_integral_value(rounding=ROUND_CEILING))


def _thousands(number: str, suffix: str | None) -> int:
    amount = _number(number) * (1000 if suffix else 1)
    return int(amount.to_integral_value(rounding=ROUND_CEILING))
