"""Pricing answers written from the structured catalog, never from vector search.

Every figure an answer states is a catalog value written with `format_money` or a limit as the
catalog gives it; nothing is derived (no totals, no monthly equivalent of an annual price, no
discount), so `catalog_facts` can list every figure an answer may state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.plan_fit import (
    contact_sales_plan,
    coverage_text,
    falls_short_text,
    is_empty,
    join_names,
    limit_value,
    listed_plans,
    needs_from_text,
    needs_words,
    shortfalls,
)
from assistant.schemas import Needs, PricingAnswer
from checkout.catalog import AddOn, BillingPeriod, Catalog, Limit, Plan, Price, format_money

__all__ = ["answer_pricing", "catalog_facts", "needs_from_text", "recommend_plan"]

_FIGURE = re.compile(r"(?<![\w.])[$€£]?\d[\d,]*(?:\.\d+)?%?")
_MONTHLY = re.compile(
    r"\b(?:monthly|per month|a month|each month|every month|month[- ]to[- ]month)\b"
    r"|/\s?mo(?:nth)?\b"
)
_ANNUAL = re.compile(
    r"\b(?:annual|annually|yearly|per year|a year|each year|every year|per annum)\b|/\s?y(?:ea)?r\b"
)
_PRICE = re.compile(
    r"\b(?:prices?|pricing|priced|costs?|costing|how much(?! (?:storage|space))|expensive|cheap"
    r"|cheaper|pay|paying|fees?|charged?|billing|billed|per (?:seat|user))\b|[$€£]"
)
_TOPIC = re.compile(
    r"\b(?:plans?|tiers?|subscriptions?|quotes?|add-?ons?|upgrade|downgrade)\b|how much", re.I
)
_DISCOUNT = re.compile(
    r"\b(?:discounts?|deals?|coupons?|promo(?:tion)?s?|vouchers?|negotiat\w*|cheaper|lower price"
    r"|special price|best price|reduced?|reduction)\b|%\s*off\b|\bfor [$€£]\s?\d"
)
_COMPARE = re.compile(
    r"\b(?:compare|compared|comparing|comparison|versus|vs|differences?|differ|better)\b"
)
_INCLUDES = re.compile(
    r"\b(?:includes?|included|including|features?|come with|comes with|get with|what do i get"
    r"|what's in|what is in)\b"
)
_LIMITS = re.compile(
    r"\b(?:limits?|limited|how many|allows?|allowed|maximum|max|quotas?|capacity"
    r"|how much (?:storage|space))\b"
)
_ADDONS = re.compile(r"\b(?:add-?ons?|extras?)\b")
_PLAN_WORDS = frozenset({"plan", "plans", "tier", "tiers", "edition", "subscription", "package"})
# A plan name that is also an ordinary word ("team", "free", "business") in ordinary use.
_GENERIC_BEFORE = frozenset(
    {"our", "my", "your", "their", "a", "whole", "entire", "small", "sales", "support", "this"}
    | {"that", "dev", "engineering", "product", "docs", "per", "new", "big"}
)
_GENERIC_AFTER = frozenset(
    {"of", "members", "member", "size", "mates", "trial", "hours", "hour", "day", "days"}
    | {"owner", "owners", "lead", "leads", "is", "are", "has", "have", "needs", "wants"}
)
_GENERIC_PAIRS = frozenset({("for", "free"), ("feel", "free"), ("of", "free")})
_WORD = re.compile(r"[a-z0-9'-]+")


def answer_pricing(catalog: Catalog, question: str) -> PricingAnswer | None:
    """Answer a question about prices, plans or add-ons from the catalog; None if it is not one."""
    text = " ".join(question.replace("’", "'").lower().split())
    plans = _named_plans(catalog, text)
    addons = _named_addons(catalog, text)
    discount = _DISCOUNT.search(text) is not None
    if not (plans or addons or discount or _PRICE.search(text) or _TOPIC.search(text)):
        return None
    offered = addons or (_addons_for(catalog, plans) if _ADDONS.search(text) else [])
    if offered:
        return _addons_answer(catalog, offered)
    if _COMPARE.search(text) and not discount and not (len(plans) == 1 and _periods(text)):
        compared = plans if len(plans) > 1 else list(catalog.plans)
        return _answer(_comparison(catalog, compared), compared)
    if not plans:
        needs = needs_from_text(text)
        if not is_empty(needs) and not discount:
            return recommend_plan(catalog, needs)
        if (_INCLUDES.search(text) or _LIMITS.search(text)) and not discount:
            return _answer(_comparison(catalog, list(catalog.plans)), catalog.plans)
        body = _overview(catalog, _period(text))
        return _answer(_with_list_price_note(catalog, body) if discount else body, catalog.plans)
    sections = [_plan_sections(catalog, plan, text, discount=discount) for plan in plans]
    if discount:
        return _answer(_with_list_price_note(catalog, "\n\n".join(sections)), plans)
    needs = needs_from_text(text)
    if len(plans) == 1 and not is_empty(needs):
        return _with_fit(catalog, plans[0], needs, sections[0])
    return _answer("\n\n".join(sections), plans)


def recommend_plan(catalog: Catalog, needs: Needs) -> PricingAnswer | None:
    """Recommend the cheapest listed plan covering the needs, else the sales-priced plan."""
    if is_empty(needs):
        return None
    wanted = f"For the {needs_words(needs)} you need"
    listed = listed_plans(catalog)
    cheaper: Plan | None = None
    for plan in listed:
        if not shortfalls(catalog, plan, needs):
            why = f"{wanted}, the {plan.name} plan fits: {coverage_text(catalog, plan, needs)}."
            if cheaper is not None:
                why += f" {falls_short_text(catalog, cheaper, needs)}"
            return _answer(f"{why} {_price_sentence(catalog, plan, None)}", [plan])
        cheaper = plan
    sales = contact_sales_plan(catalog)
    largest = f" {falls_short_text(catalog, listed[-1], needs)}" if listed else ""
    if sales is not None:
        covered = not shortfalls(catalog, sales, needs)
        fit = f"fits: {coverage_text(catalog, sales, needs)}" if covered else "goes furthest"
        text = (
            f"{wanted}, none of the listed plans is enough.{largest} "
            f"The {sales.name} plan {fit}. {_price_sentence(catalog, sales, None)}"
        )
        return _answer(text, [sales])
    if not listed:
        return None
    text = (
        f"{wanted}, none of the plans is enough.{largest} The {listed[-1].name} plan goes "
        f"furthest. {_price_sentence(catalog, listed[-1], None)}"
    )
    return _answer(text, [listed[-1]])


def catalog_facts(catalog: Catalog) -> frozenset[str]:
    """Return every figure an answer may state from the catalog, as written and without commas."""
    written: set[str] = set()
    for plan in catalog.plans:
        if plan.price is not None:
            written.update(_prices(catalog, plan.price))
        for limit in plan.limits:
            if limit.value is not None:
                written.update({str(limit.value), f"{limit.value:,}"})
        written.update(_figures_of([plan.name, plan.summary, *plan.features]))
    for addon in catalog.addons:
        written.update(_prices(catalog, addon.price))
        written.update(_figures_of([addon.name, addon.description, addon.unit]))
    return frozenset(written | {fact.replace(",", "") for fact in written})


def _answer(text: str, plans: Iterable[Plan]) -> PricingAnswer:
    facts = tuple(dict.fromkeys(_figures_of([text])))
    return PricingAnswer(text=text, plan_ids=tuple(plan.id for plan in plans), facts=facts)


def _with_fit(catalog: Catalog, plan: Plan, needs: Needs, section: str) -> PricingAnswer:
    """Add to a named plan's answer whether it covers the stated needs, and what does if not."""
    wanted = f"For the {needs_words(needs)} you need"
    if not shortfalls(catalog, plan, needs):
        fit = f"{wanted}, the {plan.name} plan fits: {coverage_text(catalog, plan, needs)}."
        return _answer(f"{section}\n\n{fit}", [plan])
    short = falls_short_text(catalog, plan, needs)
    better = recommend_plan(catalog, needs)
    if better is None or plan.id in better.plan_ids:
        return _answer(f"{section}\n\n{short}", [plan])
    instead = better.text if short in better.text else f"{short} {better.text}"
    plans = [catalog.plan(plan_id) for plan_id in better.plan_ids]
    return _answer(f"{section}\n\n{instead}", [*plans, plan])


def _plan_sections(catalog: Catalog, plan: Plan, text: str, *, discount: bool) -> str:
    includes = _INCLUDES.search(text) is not None and not discount
    limits = _LIMITS.search(text) is not None and not discount
    parts: list[str] = []
    if discount or _PRICE.search(text) or _period(text) or not (includes or limits):
        parts.append(_price_sentence(catalog, plan, _period(text)))
    if includes:
        features = "\n".join(f"- {feature}" for feature in plan.features)
        parts.append(f"The {plan.name} plan includes:\n{features}")
    if (includes or limits) and plan.limits:
        parts.append(f"Limits on the {plan.name} plan:\n{_limit_lines(plan.limits)}")
    return "\n\n".join(parts)


def _price_sentence(catalog: Catalog, plan: Plan, period: BillingPeriod | None) -> str:
    price = plan.price
    if price is None or plan.contact_sales:
        return (
            f"The {plan.name} plan has no list price: it is priced by the {catalog.company} "
            "sales team for your organisation, and I can connect you with them for a quote."
        )
    per = " per seat" if plan.unit == "seat" else ""
    monthly = format_money(price.monthly, catalog.currency)
    annual = format_money(price.annual, catalog.currency)
    if price.monthly == 0 and price.annual == 0:
        return f"The {plan.name} plan is free of charge: it costs {monthly}{per}."
    if period == "monthly":
        return f"The {plan.name} plan costs {monthly}{per} per month, billed monthly."
    if period == "annual":
        return f"The {plan.name} plan costs {annual}{per} per year, billed annually."
    return (
        f"The {plan.name} plan costs {monthly}{per} per month billed monthly, "
        f"or {annual}{per} per year billed annually."
    )


def _overview(catalog: Catalog, period: BillingPeriod | None) -> str:
    lines = [f"- {_price_sentence(catalog, plan, period)}" for plan in catalog.plans]
    return f"{catalog.company} plans:\n" + "\n".join(lines)


def _with_list_price_note(catalog: Catalog, body: str) -> str:
    return (
        f"Our prices are as listed, and I can't agree a different price in this chat.\n\n{body}"
        f"\n\nFor larger teams or custom terms, the {catalog.company} sales team can talk "
        "through the options with you."
    )


def _comparison(catalog: Catalog, plans: Sequence[Plan]) -> str:
    labels: dict[str, str] = {}
    for plan in plans:
        for limit in plan.limits:
            labels.setdefault(limit.key, limit.label)
    header = ["Plan", "Billed monthly", "Billed annually", *labels.values()]
    rows = [_row(header), _row(["---"] * len(header))]
    for plan in plans:
        values = {limit.key: limit_value(limit) for limit in plan.limits}
        rows.append(_row([plan.name, *_price_cells(catalog, plan), *_cells(values, labels)]))
    names = join_names([plan.name for plan in plans])
    return f"How the {names} plans compare:\n\n" + "\n".join(rows)


def _price_cells(catalog: Catalog, plan: Plan) -> list[str]:
    if plan.price is None or plan.contact_sales:
        return ["Contact sales", "Contact sales"]
    per = " per seat" if plan.unit == "seat" else ""
    return [
        f"{format_money(plan.price.monthly, catalog.currency)}{per} per month",
        f"{format_money(plan.price.annual, catalog.currency)}{per} per year",
    ]


def _cells(values: dict[str, str], labels: dict[str, str]) -> list[str]:
    return [values.get(key, "—") for key in labels]


def _addons_answer(catalog: Catalog, addons: Sequence[AddOn]) -> PricingAnswer:
    names = {plan.id: plan.name for plan in catalog.plans}
    lines: list[str] = []
    for addon in addons:
        unit = addon.unit if addon.unit.startswith("per ") else f"per {addon.unit}"
        monthly = format_money(addon.price.monthly, catalog.currency)
        annual = format_money(addon.price.annual, catalog.currency)
        on = join_names([names.get(plan_id, plan_id) for plan_id in addon.plans])
        about = f" {addon.description.rstrip('.')}." if addon.description else ""
        lines.append(
            f"- {addon.name} add-on:{about} It costs {monthly} {unit} per month billed monthly, "
            f"or {annual} {unit} per year billed annually, on the {on} "
            f"{'plan' if len(addon.plans) == 1 else 'plans'}."
        )
    plans = [plan for plan in catalog.plans if any(plan.id in a.plans for a in addons)]
    return _answer("Add-ons:\n" + "\n".join(lines), plans)


def _addons_for(catalog: Catalog, plans: Sequence[Plan]) -> list[AddOn]:
    ids = {plan.id for plan in plans}
    return [addon for addon in catalog.addons if not ids or ids & set(addon.plans)]


def _named_plans(catalog: Catalog, text: str) -> list[Plan]:
    return [plan for plan in catalog.plans if _mentions(text, {plan.id, plan.name})]


def _mentions(text: str, names: Iterable[str]) -> bool:
    for name in {n.lower() for n in names} | {n.lower().replace("-", " ") for n in names}:
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            before = _WORD.findall(text[: match.start()])[-1:]
            after = _WORD.findall(text[match.end() :])[:1]
            if after and after[0] in _PLAN_WORDS:
                return True
            generic = set(before) & _GENERIC_BEFORE or set(after) & _GENERIC_AFTER
            if not generic and not ({(word, name) for word in before} & _GENERIC_PAIRS):
                return True
    return False


def _named_addons(catalog: Catalog, text: str) -> list[AddOn]:
    found: list[AddOn] = []
    for addon in catalog.addons:
        name = addon.name.lower()
        short = re.sub(r"\s+(?:pack|add-?on)$", "", name)
        if any(
            re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)
            for n in {name, short, addon.id.lower().replace("-", " "), addon.id.lower()}
        ):
            found.append(addon)
    return found


def _period(text: str) -> BillingPeriod | None:
    periods = _periods(text)
    return periods[0] if len(periods) == 1 else None


def _periods(text: str) -> list[BillingPeriod]:
    found: list[BillingPeriod] = []
    if _MONTHLY.search(text):
        found.append("monthly")
    if _ANNUAL.search(text):
        found.append("annual")
    return found


def _prices(catalog: Catalog, price: Price) -> set[str]:
    written = {format_money(price.monthly, catalog.currency)}
    written.add(format_money(price.annual, catalog.currency))
    return written | set(_figures_of(written))


def _figures_of(texts: Iterable[str]) -> list[str]:
    return [m.group().rstrip(",") for t in texts for m in _FIGURE.finditer(t)]


def _limit_lines(limits: Sequence[Limit]) -> str:
    return "\n".join(f"- {limit.label}: {limit_value(limit)}" for limit in limits)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
