from decimal import Decimal
from pathlib import Path

import pytest

from checkout.catalog import AddOn, Limit, Price
from checkout.catalog_loader import load_catalog, parse_catalog_yaml
from checkout.errors import InvalidCatalog

VALID_YAML = """\
company: Quillstack
currency: USD
limit_labels: {seats: Seats, storage_gb: Storage (GB)}
plans:
  - id: free
    name: Free
    summary: For small teams getting started
    unit: seat
    price: {monthly: 0, annual: 0}
    contact_sales: false
    limits: {seats: 3, storage_gb: 2}
    features: [Unlimited pages, Yes, 2024-01-01 history]
  - id: team
    name: Team
    summary: For growing teams
    unit: seat
    price: {monthly: 8.50, annual: 85}
    limits: {seats: unlimited, storage_gb: 100}
    features: [Everything in Free, Guest access]
  - id: enterprise
    name: Enterprise
    summary: For large organisations
    unit: flat
    contact_sales: true
    limits: {seats: unlimited, storage_gb: unlimited}
    features: [SSO, Audit log]
addons:
  - id: extra-storage
    name: Extra storage
    description: 100 GB of additional storage
    unit: per 100 GB
    price: {monthly: 10, annual: 100}
    plans: [team, enterprise]
"""


def _error(text: str) -> str:
    with pytest.raises(InvalidCatalog) as caught:
        parse_catalog_yaml(text, source="pricing.yaml")
    return caught.value.message


def _replaced(old: str, new: str) -> str:
    assert old in VALID_YAML
    return VALID_YAML.replace(old, new, 1)


def test_valid_yaml_is_parsed_into_the_catalog() -> None:
    catalog = parse_catalog_yaml(VALID_YAML, source="pricing.yaml")
    assert catalog.company == "Quillstack"
    assert catalog.currency == "USD"
    assert [plan.id for plan in catalog.plans] == ["free", "team", "enterprise"]
    team = catalog.plan("team")
    assert team.price == Price(monthly=Decimal("8.50"), annual=Decimal(85))
    assert team.contact_sales is False
    assert team.limits == (
        Limit(key="seats", label="Seats", value=None),
        Limit(key="storage_gb", label="Storage (GB)", value=100),
    )
    enterprise = catalog.plan("enterprise")
    assert enterprise.price is None
    assert enterprise.contact_sales is True
    assert enterprise.unit == "flat"
    assert catalog.addons == (
        AddOn(
            id="extra-storage",
            name="Extra storage",
            description="100 GB of additional storage",
            unit="per 100 GB",
            price=Price(monthly=Decimal(10), annual=Decimal(100)),
            plans=("team", "enterprise"),
        ),
    )


def test_yaml_scalars_stay_text_in_features() -> None:
    catalog = parse_catalog_yaml(VALID_YAML, source="pricing.yaml")
    assert catalog.plan("free").features == ("Unlimited pages", "Yes", "2024-01-01 history")


def test_optional_fields_default() -> None:
    text = """\
company: Acme
currency: EUR
plans:
  - {id: solo, name: Solo, unit: flat, price: {monthly: 5, annual: 50}}
"""
    catalog = parse_catalog_yaml(text, source="pricing.yaml")
    solo = catalog.plan("solo")
    assert (solo.summary, solo.contact_sales, solo.limits, solo.features) == ("", False, (), ())
    assert catalog.addons == ()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("8.50", "8.50"),
        ("8.5", "8.5"),
        ("0.1", "0.1"),
        ("8.49", "8.49"),
        ("19.99", "19.99"),
        ('"8.50"', "8.50"),
        ("1200", "1200"),
    ],
)
def test_prices_are_exact_decimals(written: str, expected: str) -> None:
    text = _replaced(
        "price: {monthly: 8.50, annual: 85}", f"price: {{monthly: {written}, annual: 85}}"
    )
    monthly = parse_catalog_yaml(text, source="pricing.yaml").price_of("team", "monthly")
    assert isinstance(monthly, Decimal)
    assert str(monthly) == expected
    assert monthly == Decimal(expected)


def test_eight_fifty_is_not_a_float_artefact() -> None:
    monthly = parse_catalog_yaml(VALID_YAML, source="pricing.yaml").price_of("team", "monthly")
    assert monthly == Decimal("8.50")
    assert str(monthly) == "8.50"
    assert monthly.as_tuple() == Decimal("8.50").as_tuple()
    assert monthly * 12 == Decimal("102.00")


def test_prices_do_not_pass_through_binary_floats() -> None:
    text = _replaced("price: {monthly: 8.50, annual: 85}", "price: {monthly: 8.49, annual: 85.10}")
    catalog = parse_catalog_yaml(text, source="pricing.yaml")
    binary = float("8.49")
    assert Decimal(binary) != Decimal("8.49")
    assert catalog.price_of("team", "monthly") == Decimal("8.49")
    assert catalog.price_of("team", "monthly") != Decimal(binary)
    assert str(catalog.price_of("team", "annual")) == "85.10"


def test_non_number_price_names_file_field_and_fix() -> None:
    text = _replaced("price: {monthly: 8.50, annual: 85}", "price: {monthly: abc, annual: 85}")
    assert _error(text) == (
        "pricing.yaml: plans[1].price.monthly: must be a number >= 0 with at most 2 decimals "
        '(got "abc")'
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "price: {monthly: 8.50, annual: 85}",
            "price: {monthly: -1, annual: 85}",
            'plans[1].price.monthly: must be a number >= 0 with at most 2 decimals (got "-1")',
        ),
        (
            "price: {monthly: 8.50, annual: 85}",
            "price: {monthly: 8.50, annual: 84.999}",
            'plans[1].price.annual: must be a number >= 0 with at most 2 decimals (got "84.999")',
        ),
        (
            "price: {monthly: 10, annual: 100}",
            "price: {monthly: 10, annual: .nan}",
            "addons[0].price.annual: must be a number >= 0 with at most 2 decimals",
        ),
    ],
)
def test_invalid_prices_are_rejected(old: str, new: str, expected: str) -> None:
    assert f"pricing.yaml: {expected}" in _error(_replaced(old, new))


def test_plan_without_price_must_be_contact_sales() -> None:
    message = _error(_replaced("    price: {monthly: 8.50, annual: 85}\n", ""))
    assert "pricing.yaml: plans[1].price: is required unless contact_sales is true" in message
    assert "set contact_sales to true" in message


def test_contact_sales_plan_must_not_have_a_price() -> None:
    text = _replaced(
        "    contact_sales: true\n", "    contact_sales: yes\n    price: {monthly: 1, annual: 10}\n"
    )
    message = _error(text)
    assert "pricing.yaml: plans[2].price: must be left out when contact_sales is true" in message


def test_duplicate_plan_ids_are_rejected() -> None:
    message = _error(_replaced("  - id: enterprise\n", "  - id: team\n"))
    assert 'pricing.yaml: plans[2].id: "team" is already used by another plan' in message


def test_limit_without_label_is_rejected() -> None:
    message = _error(
        _replaced("limits: {seats: 3, storage_gb: 2}", "limits: {seats: 3, api_calls: 2}")
    )
    assert "pricing.yaml: plans[0].limits.api_calls: has no label" in message
    assert 'add "api_calls: <label>" under limit_labels' in message


def test_invalid_limit_value_is_rejected() -> None:
    message = _error(
        _replaced("limits: {seats: 3, storage_gb: 2}", "limits: {seats: lots, storage_gb: 2}")
    )
    assert (
        'plans[0].limits.seats: must be a whole number >= 0 or "unlimited" (got "lots")' in message
    )


def test_addon_for_unknown_plan_is_rejected() -> None:
    message = _error(_replaced("plans: [team, enterprise]", "plans: [team, business]"))
    assert 'pricing.yaml: addons[0].plans[1]: refers to unknown plan "business"' in message
    assert "known plans: free, team, enterprise" in message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("  - id: team\n", "  - id: Team Plan\n", "plans[1].id"),
        ("  - id: team\n", "  - id: team_plan\n", "plans[1].id"),
        ("  - id: extra-storage\n", "  - id: Extra-Storage\n", "addons[0].id"),
    ],
)
def test_ids_must_be_lowercase_slugs(old: str, new: str, field: str) -> None:
    message = _error(_replaced(old, new))
    assert f"pricing.yaml: {field}: must be a lowercase slug" in message


@pytest.mark.parametrize("currency", ["usd", "US", "DOLLARS", "U$D", "12"])
def test_currency_must_be_three_uppercase_letters(currency: str) -> None:
    message = _error(_replaced("currency: USD", f"currency: {currency}"))
    assert message.startswith("pricing.yaml: currency: must be a 3-letter uppercase currency code")
    assert f'(got "{currency}")' in message


def test_unknown_field_is_rejected_with_allowed_fields() -> None:
    message = _error(_replaced("    unit: seat\n", "    unit: seat\n    colour: blue\n"))
    assert "pricing.yaml: plans[0].colour: is not a known field" in message
    assert "allowed: id, name, summary, unit, price, contact_sales, limits, features" in message


def test_missing_field_and_bad_unit_are_all_reported() -> None:
    text = _replaced("    name: Free\n", "").replace("unit: flat", "unit: seats", 1)
    message = _error(text)
    assert "pricing.yaml: plans[0].name: is required" in message
    assert "pricing.yaml: plans[2].unit: must be 'seat' or 'flat' (got \"seats\")" in message


def test_contact_sales_must_be_a_boolean() -> None:
    message = _error(_replaced("contact_sales: false", "contact_sales: maybe"))
    assert 'plans[0].contact_sales: must be true or false (got "maybe")' in message


def test_unquoted_colon_in_feature_gets_a_hint() -> None:
    message = _error(
        _replaced("[Everything in Free, Guest access]", "[Everything in Free, SLA: 99.9%]")
    )
    assert "plans[1].features[1]: must be text" in message
    assert "quotes" in message


def test_yaml_syntax_error_gives_line_number() -> None:
    text = _replaced(
        "    summary: For growing teams\n", "    summary: For growing teams\n   unit: seat\n"
    )
    message = _error(text)
    assert message.startswith("pricing.yaml: line 16, column 4: ")
    assert "not valid YAML" in message


def test_duplicate_yaml_key_gives_line_number() -> None:
    message = _error(_replaced("    unit: seat\n", "    unit: seat\n    unit: flat\n"))
    assert message.startswith("pricing.yaml: line 9, column 5: ")
    assert 'duplicate key "unit"' in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "pricing.yaml: the file is empty"),
        ("- a\n- b\n", "pricing.yaml: the top level must be a mapping"),
        ("company: Acme\ncurrency: USD\nplans: []\n", "pricing.yaml: plans: must list at least 1"),
    ],
)
def test_structurally_wrong_files_are_rejected(text: str, expected: str) -> None:
    assert _error(text).startswith(expected)


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_load_catalog_reads_yaml_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"pricing{suffix}"
    path.write_text(VALID_YAML, encoding="utf-8")
    assert load_catalog(path) == parse_catalog_yaml(VALID_YAML, source="pricing.yaml")


def test_load_catalog_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "pricing.yaml"
    path.write_text(VALID_YAML.replace("currency: USD", "currency: usd"), encoding="utf-8")
    with pytest.raises(InvalidCatalog) as caught:
        load_catalog(path)
    assert caught.value.message.startswith(f"{path}: currency: ")
    assert caught.value.source == str(path)


def test_load_catalog_rejects_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "pricing.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidCatalog, match="unsupported file type"):
        load_catalog(path)
    with pytest.raises(InvalidCatalog, match="file not found"):
        load_catalog(tmp_path / "absent.yaml")
