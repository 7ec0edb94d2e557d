"""Render the pricing catalog as Markdown for the knowledge base."""

from collections.abc import Sequence

from checkout.catalog import AddOn, Catalog, Limit, Plan, Price, format_money

OVERVIEW_TITLE = "Pricing overview"
# Sections are embedded with a 256-token window; stay well under it.
_WORD_BUDGET = 170
_MISSING_LIMIT = "—"


def render_catalog_markdown(catalog: Catalog) -> list[tuple[str, str]]:
    """Render the catalog as (title, markdown) documents with exact prices."""
    sections = [
        _intro(catalog),
        *_comparison(catalog),
        *(section for plan in catalog.plans for section in _plan_sections(catalog, plan)),
        *_addon_sections(catalog),
    ]
    return [(OVERVIEW_TITLE, "\n\n".join(sections) + "\n")]


def _intro(catalog: Catalog) -> str:
    units = {plan.unit for plan in catalog.plans}
    lines = [f"{catalog.company} lists its prices in {catalog.currency}."]
    if "seat" in units:
        lines.append("Per-seat plans are charged for each seat (user).")
    if "flat" in units:
        lines.append("Flat-rate plans have one price for the whole account.")
    lines.append("Monthly billing is charged every month; annual billing is charged once a year.")
    return "# Pricing\n\n" + " ".join(lines)


def _comparison(catalog: Catalog) -> list[str]:
    labels = _limit_labels(catalog.plans)
    header = ["Plan", "Billed monthly", "Billed annually", *labels.values()]
    head = [_table_row(header), _table_row(["---"] * len(header))]
    rows = [_table_row(_comparison_cells(catalog, plan, list(labels))) for plan in catalog.plans]
    return _chunked("## Plan comparison", head, rows, separator="\n")


def _comparison_cells(catalog: Catalog, plan: Plan, keys: Sequence[str]) -> list[str]:
    values = {limit.key: limit for limit in plan.limits}
    if plan.price is None:
        prices = ["Contact sales", "Contact sales"]
    else:
        per = _per_unit(plan)
        prices = [
            f"{format_money(plan.price.monthly, catalog.currency)}{per} per month",
            f"{format_money(plan.price.annual, catalog.currency)}{per} per year",
        ]
    limits = [_limit_value(values[key]) if key in values else _MISSING_LIMIT for key in keys]
    return [plan.name, *prices, *limits]


def _plan_sections(catalog: Catalog, plan: Plan) -> list[str]:
    heading = f"## {plan.name} plan"
    blocks = [_sentence(plan.summary)] if plan.summary else []
    blocks.append(_price_sentence(catalog, plan))
    if plan.limits:
        limits = "\n".join(f"- {limit.label}: {_limit_value(limit)}" for limit in plan.limits)
        blocks.append(f"Limits on the {plan.name} plan:\n{limits}")
    addons = [addon.name for addon in catalog.addons if plan.id in addon.plans]
    if addons:
        blocks.append(f"Add-ons available on the {plan.name} plan: {_join_names(addons)}.")
    features = [f"- {feature}" for feature in plan.features]
    whole = [*blocks, f"Included in the {plan.name} plan:\n" + "\n".join(features)]
    if not features:
        return [_section(heading, blocks)]
    if _words(_section(heading, whole)) <= _WORD_BUDGET:
        return [_section(heading, whole)]
    feature_head = [f"Included in the {plan.name} plan:"]
    return [
        _section(heading, blocks),
        *_chunked(f"## {plan.name} plan features", feature_head, features, separator="\n"),
    ]


def _price_sentence(catalog: Catalog, plan: Plan) -> str:
    if plan.price is None:
        return (
            f"The {plan.name} plan has no list price: contact the {catalog.company} "
            "sales team for a quote."
        )
    sentence = (
        f"The {plan.name} plan costs {_price_words(plan.price, catalog.currency, _per_unit(plan))}."
    )
    if plan.price.monthly == 0 and plan.price.annual == 0:
        sentence += f" The {plan.name} plan is free of charge."
    return sentence


def _addon_sections(catalog: Catalog) -> list[str]:
    if not catalog.addons:
        return []
    lines = [_addon_line(catalog, addon) for addon in catalog.addons]
    return _chunked("## Add-ons", [], lines, separator="\n")


def _addon_line(catalog: Catalog, addon: AddOn) -> str:
    unit = addon.unit if addon.unit.startswith("per ") else f"per {addon.unit}"
    names = {plan.id: plan.name for plan in catalog.plans}
    plans = _join_names([names.get(plan_id, plan_id) for plan_id in addon.plans])
    description = f" {_sentence(addon.description)}" if addon.description else ""
    price = _price_words(addon.price, catalog.currency, f" {unit}")
    return (
        f"- {addon.name} add-on ({unit}):{description} It costs {price}. "
        f"Available on the {plans} {'plan' if len(addon.plans) == 1 else 'plans'}."
    )


def _price_words(price: Price, currency: str, per: str) -> str:
    monthly = format_money(price.monthly, currency)
    annual = format_money(price.annual, currency)
    return f"{monthly}{per} per month billed monthly, or {annual}{per} per year billed annually"


def _chunked(
    heading: str, head: Sequence[str], items: Sequence[str], *, separator: str
) -> list[str]:
    """Split items into sections under the word budget, repeating the heading and head lines."""
    sections: list[str] = []
    current: list[str] = []
    for item in items:
        candidate = [*current, item]
        title = heading if not sections else f"{heading} (continued)"
        if (
            current
            and _words(_section(title, [separator.join([*head, *candidate])])) > _WORD_BUDGET
        ):
            sections.append(_section(title, [separator.join([*head, *current])]))
            current = [item]
        else:
            current = candidate
    if current:
        title = heading if not sections else f"{heading} (continued)"
        sections.append(_section(title, [separator.join([*head, *current])]))
    return sections


def _limit_labels(plans: Sequence[Plan]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for plan in plans:
        for limit in plan.limits:
            labels.setdefault(limit.key, limit.label)
    return labels


def _limit_value(limit: Limit) -> str:
    return "Unlimited" if limit.value is None else f"{limit.value:,}"


def _per_unit(plan: Plan) -> str:
    return " per seat" if plan.unit == "seat" else ""


def _table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _section(heading: str, blocks: Sequence[str]) -> str:
    return "\n\n".join([heading, *blocks])


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _words(text: str) -> int:
    return len(text.split())
