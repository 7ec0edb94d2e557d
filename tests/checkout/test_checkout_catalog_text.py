import re
from decimal import Decimal

from checkout.catalog import AddOn, Catalog, Limit, Plan, Price, format_money
from checkout.catalog_text import render_catalog_markdown


def _plan(plan_id: str, name: str, price: Price | None, *, unit: str = "seat") -> Plan:
    return Plan(
        id=plan_id,
        name=name,
        summary=f"{name} summary",
        unit="seat" if unit == "seat" else "flat",
        price=price,
        contact_sales=price is None,
        limits=(
            Limit(key="seats", label="Seats", value=3 if plan_id == "free" else None),
            Limit(key="storage_gb", label="Storage (GB)", value=100),
        ),
        features=(f"{name} feature one", f"{name} feature two"),
    )


def _catalog() -> Catalog:
    plans = (
        _plan("free", "Free", Price(monthly=Decimal(0), annual=Decimal(0))),
        _plan("team", "Team", Price(monthly=Decimal("8.50"), annual=Decimal(85))),
        _plan(
            "studio", "Studio", Price(monthly=Decimal(29), annual=Decimal("290.40")), unit="flat"
        ),
        _plan("enterprise", "Enterprise", None),
    )
    addon = AddOn(
        id="extra-storage",
        name="Extra storage",
        description="100 GB of additional storage",
        unit="per 100 GB",
        price=Price(monthly=Decimal(10), annual=Decimal(100)),
        plans=("team", "enterprise"),
    )
    return Catalog(company="Quillstack", currency="USD", plans=plans, addons=(addon,))


def _markdown() -> str:
    documents = render_catalog_markdown(_catalog())
    assert [title for title, _ in documents] == ["Pricing overview"]
    return documents[0][1]


def _sections(markdown: str) -> list[str]:
    return re.split(r"\n(?=## )", markdown)


def test_overview_has_heading_and_comparison_table() -> None:
    markdown = _markdown()
    assert markdown.startswith("# Pricing\n")
    assert (
        "## Plan comparison\n\n| Plan | Billed monthly | Billed annually | Seats | Storage (GB) |"
        in markdown
    )
    assert "| --- | --- | --- | --- | --- |" in markdown
    assert (
        "| Team | $8.50 per seat per month | $85 per seat per year | Unlimited | 100 |" in markdown
    )
    assert "| Studio | $29 per month | $290.40 per year | Unlimited | 100 |" in markdown
    assert "| Enterprise | Contact sales | Contact sales | Unlimited | 100 |" in markdown
    assert "| Free | $0 per seat per month | $0 per seat per year | 3 | 100 |" in markdown


def test_every_plan_has_a_section_with_exact_prices() -> None:
    markdown = _markdown()
    catalog = _catalog()
    for plan in catalog.plans:
        assert f"\n## {plan.name} plan\n" in markdown
        if plan.price is not None:
            assert format_money(plan.price.monthly, "USD") in markdown
            assert format_money(plan.price.annual, "USD") in markdown
    assert (
        "The Team plan costs $8.50 per seat per month billed monthly, "
        "or $85 per seat per year billed annually."
    ) in markdown
    assert (
        "The Studio plan costs $29 per month billed monthly, or $290.40 per year billed annually."
    ) in markdown
    assert "The Enterprise plan has no list price: contact the Quillstack sales team" in markdown


def test_plan_sections_list_limits_and_features() -> None:
    team = next(s for s in _sections(_markdown()) if s.startswith("## Team plan"))
    assert "- Seats: Unlimited\n- Storage (GB): 100" in team
    assert "- Team feature one\n- Team feature two" in team
    assert "Add-ons available on the Team plan: Extra storage." in team


def test_addons_section_states_exact_prices_and_plans() -> None:
    addons = next(s for s in _sections(_markdown()) if s.startswith("## Add-ons"))
    assert (
        "$10 per 100 GB per month billed monthly, or $100 per 100 GB per year billed annually"
        in addons
    )
    assert "Available on the Team and Enterprise plans." in addons


def test_sections_stay_short_for_embedding() -> None:
    for section in _sections(_markdown()):
        assert len(section.split()) < 180


def test_long_feature_lists_are_split_into_short_sections() -> None:
    catalog = _catalog()
    features = tuple(
        f"Feature number {index} with a fairly long description" for index in range(60)
    )
    big = Plan(
        id="big",
        name="Big",
        summary="Lots of features",
        unit="seat",
        price=Price(monthly=Decimal("12.25"), annual=Decimal(120)),
        contact_sales=False,
        limits=(),
        features=features,
    )
    markdown = render_catalog_markdown(
        Catalog(company="Quillstack", currency="EUR", plans=(big,), addons=catalog.addons[:0])
    )[0][1]
    sections = _sections(markdown)
    assert all(len(section.split()) < 180 for section in sections)
    assert (
        "€12.25 per seat per month billed monthly, or €120 per seat per year billed annually"
        in markdown
    )
    assert all(feature in markdown for feature in features)
    assert any(section.startswith("## Big plan features") for section in sections)
    assert "## Add-ons" not in markdown
