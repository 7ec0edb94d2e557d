"""Which plan fits a set of needs: pure functions over the catalog, no wording.

The assistant phrases its answers from these (assistant/plan_fit.py, assistant/pricing.py);
nurture picks the plan an email recommends with `fitting_plan`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from checkout.catalog import Catalog, Limit, Plan

# Needs fields and the catalog limit each one is checked against.
NEED_LIMITS: tuple[tuple[str, str], ...] = (
    ("seats", "seats"),
    ("storage_gb", "storage_gb"),
    ("ai_queries_per_month", "ai_queries_per_month"),
)
_EVERYTHING_IN = re.compile(r"^everything in (?:the )?(.+?)(?: plan)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Needs:
    """What a prospect needs, for "which plan fits"."""

    seats: int | None = None
    storage_gb: int | None = None
    ai_queries_per_month: int | None = None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shortfall:
    """A need a plan does not cover: the limit it exceeds, or a feature the plan lacks."""

    limit: Limit | None = None
    feature: str | None = None


def is_empty(needs: Needs) -> bool:
    """Return whether no need is stated."""
    numbers = (needs.seats, needs.storage_gb, needs.ai_queries_per_month)
    return all(value is None for value in numbers) and not needs.features


def listed_plans(catalog: Catalog) -> list[Plan]:
    """Return the plans with a list price, cheapest first (catalog order breaks ties)."""
    priced = [plan for plan in catalog.plans if plan.price is not None and not plan.contact_sales]
    return sorted(priced, key=_price_key)


def contact_sales_plan(catalog: Catalog) -> Plan | None:
    """Return the first plan sold through the sales team, if any."""
    return next((plan for plan in catalog.plans if plan.contact_sales), None)


def shortfalls(catalog: Catalog, plan: Plan, needs: Needs) -> list[Shortfall]:
    """Return what the plan does not cover; a limit the plan does not state does not bind."""
    limits = {limit.key: limit for limit in plan.limits}
    missing: list[Shortfall] = []
    for field_name, key in NEED_LIMITS:
        wanted: int | None = getattr(needs, field_name)
        limit = limits.get(key)
        value = None if limit is None else limit.value
        if wanted is not None and value is not None and wanted > value:
            missing.append(Shortfall(limit=limit))
    features = plan_features(catalog, plan)
    for term in needs.features:
        if matching_feature(term, features) is None:
            missing.append(Shortfall(feature=term))
    return missing


def fitting_plan(catalog: Catalog, needs: Needs, *, paid_only: bool = False) -> Plan | None:
    """Return the cheapest listed plan covering the needs, else the sales plan, else the largest.

    With `paid_only`, free plans are left out (an email recommends something to buy).
    """
    listed = listed_plans(catalog)
    if paid_only:
        listed = [plan for plan in listed if plan.price is not None and plan.price.monthly > 0]
    for plan in listed:
        if not shortfalls(catalog, plan, needs):
            return plan
    sales = contact_sales_plan(catalog)
    if sales is not None:
        return sales
    return listed[-1] if listed else None


def plan_features(catalog: Catalog, plan: Plan) -> tuple[str, ...]:
    """Return a plan's features with those of any plan it has "Everything in"."""
    seen: set[str] = set()
    found: list[str] = []
    current: Plan | None = plan
    while current is not None and current.id not in seen:
        seen.add(current.id)
        found.extend(current.features)
        current = _included_plan(catalog, current)
    return tuple(found)


def matching_feature(term: str, features: Sequence[str]) -> str | None:
    """Return the first feature naming the term as a whole word, case-insensitively."""
    pattern = re.compile(rf"(?<!\w){re.escape(term.strip())}(?!\w)", re.IGNORECASE)
    return next((feature for feature in features if pattern.search(feature)), None)


def _included_plan(catalog: Catalog, plan: Plan) -> Plan | None:
    for feature in plan.features:
        match = _EVERYTHING_IN.match(feature.strip())
        if match is None:
            continue
        name = match.group(1).lower()
        for other in catalog.plans:
            if name in (other.name.lower(), other.id.lower()):
                return other
    return None


def _price_key(plan: Plan) -> tuple[Decimal, Decimal]:
    assert plan.price is not None
    return plan.price.monthly, plan.price.annual
