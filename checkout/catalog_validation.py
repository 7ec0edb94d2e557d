"""Validate raw catalog data (from any file format) and convert it to a `Catalog`."""

from collections.abc import Callable, Mapping

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from checkout.catalog import AddOn, Catalog, Limit, Plan, Price
from checkout.catalog_schema import AddOnEntry, CatalogEntry, PlanEntry, PriceEntry
from checkout.errors import InvalidCatalog

Location = tuple[str | int, ...]
Locator = Callable[[Location], str]
Problem = tuple[Location, str]

_NESTED_MODELS: Mapping[str, type[BaseModel]] = {
    "plans": PlanEntry,
    "addons": AddOnEntry,
    "price": PriceEntry,
}
_MAX_SHOWN = 60


def validate_catalog(raw: object, *, source: str, locate: Locator) -> Catalog:
    """Check raw catalog data and convert it, raising InvalidCatalog with every problem found."""
    try:
        entry = CatalogEntry.model_validate(raw)
    except ValidationError as error:
        problems = [_from_pydantic(detail) for detail in error.errors()]
        raise InvalidCatalog(source, [_describe(problem, locate) for problem in problems]) from None
    problems = _check_consistency(entry)
    if problems:
        raise InvalidCatalog(source, [_describe(problem, locate) for problem in problems])
    return _to_catalog(entry)


def show_value(value: object) -> str:
    """Quote a value the way an error message shows what it got."""
    if value is None:
        return "an empty value"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else "a list"
    text = str(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return f'"{text}"' if isinstance(value, str) else text


def _describe(problem: Problem, locate: Locator) -> str:
    location, message = problem
    where = locate(location)
    return f"{where}: {message}" if where else message


def _from_pydantic(detail: ErrorDetails) -> Problem:
    location = tuple(part for part in detail["loc"] if part != "[key]")
    kind = detail["type"]
    if kind == "missing":
        return location, "is required"
    if kind == "extra_forbidden":
        allowed = ", ".join(_model_at(location).model_fields)
        return location, f"is not a known field; remove it or fix its spelling (allowed: {allowed})"
    shown = show_value(detail["input"])
    if kind == "string_type" and isinstance(detail["input"], Mapping):
        return location, f'must be text (got {shown}; put text containing ": " in quotes)'
    return location, f"{_rule(detail)} (got {shown})"


def _rule(detail: ErrorDetails) -> str:
    kind = detail["type"]
    context = detail.get("ctx", {})
    rules = {
        "string_type": "must be text",
        "string_too_short": "must not be empty",
        "list_type": "must be a list",
        "dict_type": "must be a mapping of key: value",
        "model_type": "must be a mapping of field: value",
        "model_attributes_type": "must be a mapping of field: value",
        "too_short": f"must list at least {context.get('min_length', 1)} item(s)",
        "literal_error": f"must be {context.get('expected', 'one of the allowed values')}",
    }
    if kind in rules:
        return rules[kind]
    message = detail["msg"]
    return message[:1].lower() + message[1:]


def _model_at(location: Location) -> type[BaseModel]:
    parents = [part for part in location[:-1] if isinstance(part, str)]
    if not parents:
        return CatalogEntry
    return _NESTED_MODELS.get(parents[-1], CatalogEntry)


def _check_consistency(entry: CatalogEntry) -> list[Problem]:
    problems: list[Problem] = []
    plan_ids: list[str] = []
    for index, plan in enumerate(entry.plans):
        where: Location = ("plans", index)
        if plan.id in plan_ids:
            message = f'"{plan.id}" is already used by another plan; plan ids must be unique'
            problems.append(((*where, "id"), message))
        plan_ids.append(plan.id)
        if plan.contact_sales and plan.price is not None:
            message = (
                "must be left out when contact_sales is true; "
                "remove the price or set contact_sales to false"
            )
            problems.append(((*where, "price"), message))
        if not plan.contact_sales and plan.price is None:
            message = (
                "is required unless contact_sales is true; "
                "add monthly and annual prices or set contact_sales to true"
            )
            problems.append(((*where, "price"), message))
        for key in plan.limits:
            if key not in entry.limit_labels:
                message = f'has no label; add "{key}: <label>" under limit_labels'
                problems.append(((*where, "limits", key), message))
    addon_ids: list[str] = []
    known = ", ".join(plan_ids)
    for index, addon in enumerate(entry.addons):
        if addon.id in addon_ids:
            message = f'"{addon.id}" is already used by another add-on; add-on ids must be unique'
            problems.append((("addons", index, "id"), message))
        addon_ids.append(addon.id)
        for position, plan_id in enumerate(addon.plans):
            if plan_id not in plan_ids:
                message = f'refers to unknown plan "{plan_id}" (known plans: {known})'
                problems.append((("addons", index, "plans", position), message))
    return problems


def _to_catalog(entry: CatalogEntry) -> Catalog:
    labels = entry.limit_labels
    plans = tuple(
        Plan(
            id=plan.id,
            name=plan.name,
            summary=plan.summary,
            unit=plan.unit,
            price=_to_price(plan.price) if plan.price is not None else None,
            contact_sales=plan.contact_sales,
            limits=tuple(
                Limit(key=key, label=label, value=plan.limits[key])
                for key, label in labels.items()
                if key in plan.limits
            ),
            features=tuple(plan.features),
        )
        for plan in entry.plans
    )
    addons = tuple(
        AddOn(
            id=addon.id,
            name=addon.name,
            description=addon.description,
            unit=addon.unit,
            price=_to_price(addon.price),
            plans=tuple(addon.plans),
        )
        for addon in entry.addons
    )
    return Catalog(company=entry.company, currency=entry.currency, plans=plans, addons=addons)


def _to_price(price: PriceEntry) -> Price:
    return Price(monthly=price.monthly, annual=price.annual)
