from decimal import Decimal

import pytest

from checkout.catalog import Catalog, Limit, Plan, Price, format_money
from checkout.errors import CatalogError, PlanNotFound, PriceNotListed
from leads.errors import ClinchError


def _catalog() -> Catalog:
    team = Plan(
        id="team",
        name="Team",
        summary="For growing teams",
        unit="seat",
        price=Price(monthly=Decimal("8.50"), annual=Decimal(85)),
        contact_sales=False,
        limits=(Limit(key="seats", label="Seats", value=None),),
        features=("Guest access",),
    )
    enterprise = Plan(
        id="enterprise",
        name="Enterprise",
        summary="",
        unit="seat",
        price=None,
        contact_sales=True,
        limits=(),
        features=(),
    )
    return Catalog(company="Quillstack", currency="USD", plans=(team, enterprise), addons=())


def test_plan_is_found_by_id() -> None:
    assert _catalog().plan("team").name == "Team"


def test_unknown_plan_raises_plan_not_found_listing_known_plans() -> None:
    with pytest.raises(PlanNotFound) as caught:
        _catalog().plan("pro")
    assert caught.value.plan_id == "pro"
    assert '"pro"' in caught.value.message
    assert "team, enterprise" in caught.value.message


def test_price_of_returns_exact_prices_per_period() -> None:
    catalog = _catalog()
    assert catalog.price_of("team", "monthly") == Decimal("8.50")
    assert str(catalog.price_of("team", "monthly")) == "8.50"
    assert catalog.price_of("team", "annual") == Decimal(85)


def test_price_of_contact_sales_plan_raises_price_not_listed() -> None:
    with pytest.raises(PriceNotListed) as caught:
        _catalog().price_of("enterprise", "annual")
    assert caught.value.plan_id == "enterprise"


def test_price_of_unknown_plan_raises_plan_not_found() -> None:
    with pytest.raises(PlanNotFound):
        _catalog().price_of("pro", "monthly")


def test_catalog_errors_derive_from_clinch_error() -> None:
    assert issubclass(PlanNotFound, CatalogError)
    assert issubclass(PriceNotListed, CatalogError)
    assert issubclass(CatalogError, ClinchError)


def test_catalog_values_are_frozen() -> None:
    price = Price(monthly=Decimal(1), annual=Decimal(10))
    with pytest.raises(AttributeError):
        price.monthly = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("8.50", "USD", "$8.50"),
        ("8.5", "USD", "$8.50"),
        ("0", "USD", "$0"),
        ("150", "USD", "$150"),
        ("12.00", "EUR", "€12.00"),
        ("12", "EUR", "€12"),
        ("9.99", "GBP", "£9.99"),
        ("12.5", "CHF", "12.50 CHF"),
        ("40", "CHF", "40 CHF"),
        ("1200", "USD", "$1,200"),
        ("1234.5", "EUR", "€1,234.50"),
        ("8.505", "USD", "$8.51"),
        ("-5", "USD", "-$5"),
    ],
)
def test_format_money(amount: str, currency: str, expected: str) -> None:
    assert format_money(Decimal(amount), currency) == expected


def test_format_money_rejects_non_finite_amounts() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        format_money(Decimal("NaN"), "USD")
