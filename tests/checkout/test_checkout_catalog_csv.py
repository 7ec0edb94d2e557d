from decimal import Decimal
from pathlib import Path

import pytest

from checkout.catalog import Limit
from checkout.catalog_loader import load_catalog, parse_catalog_csv, parse_catalog_yaml
from checkout.errors import InvalidCatalog

PLANS_YAML = """\
company: Quillstack
currency: USD
limit_labels: {seats: Seats, storage_gb: Storage (GB)}
plans:
  - id: free
    name: Free
    summary: For small teams getting started
    unit: seat
    price: {monthly: 0, annual: 0}
    limits: {seats: 3, storage_gb: 2}
    features: [Unlimited pages, Basic search]
  - id: team
    name: Team
    summary: For teams, with guests
    unit: seat
    price: {monthly: 8.50, annual: 85}
    limits: {seats: unlimited, storage_gb: 100}
    features: [Everything in Free, Guest access]
  - id: enterprise
    name: Enterprise
    summary: For large organisations
    unit: flat
    contact_sales: true
    limits: {seats: unlimited}
    features: [SSO]
"""

PLANS_CSV = """\
id,name,summary,unit,monthly,annual,contact_sales,limit:seats,limit:storage_gb:Storage (GB),features
free,Free,For small teams getting started,seat,0,0,false,3,2,Unlimited pages; Basic search
team,Team,"For teams, with guests",seat,8.50,85,no,unlimited,100,Everything in Free;Guest access
enterprise,Enterprise,For large organisations,flat,,,yes,Unlimited,,SSO
"""


def _parse(text: str) -> object:
    return parse_catalog_csv(text, source="pricing.csv", company="Quillstack", currency="USD")


def _error(text: str) -> str:
    with pytest.raises(InvalidCatalog) as caught:
        _parse(text)
    return caught.value.message


def _replaced(old: str, new: str) -> str:
    assert old in PLANS_CSV
    return PLANS_CSV.replace(old, new, 1)


def test_csv_and_yaml_give_the_same_plans() -> None:
    from_csv = parse_catalog_csv(
        PLANS_CSV, source="pricing.csv", company="Quillstack", currency="USD"
    )
    from_yaml = parse_catalog_yaml(PLANS_YAML, source="pricing.yaml")
    assert from_csv == from_yaml
    assert from_csv.addons == ()


def test_csv_prices_are_exact() -> None:
    catalog = parse_catalog_csv(
        PLANS_CSV, source="pricing.csv", company="Quillstack", currency="USD"
    )
    assert str(catalog.price_of("team", "monthly")) == "8.50"
    assert catalog.price_of("team", "annual") == Decimal(85)
    assert catalog.plan("enterprise").price is None


def test_limit_labels_are_humanised_from_keys_when_not_given() -> None:
    text = _replaced("limit:storage_gb:Storage (GB)", "limit:storage_gb")
    catalog = parse_catalog_csv(text, source="pricing.csv", company="Quillstack", currency="USD")
    assert catalog.plan("free").limits == (
        Limit(key="seats", label="Seats", value=3),
        Limit(key="storage_gb", label="Storage (GB)", value=2),
    )


def test_humanised_labels_keep_acronyms_and_units() -> None:
    text = _replaced("limit:seats,", "limit:ai_queries_per_month,").replace(
        "limit:storage_gb:Storage (GB)", "limit:version_history_days"
    )
    catalog = parse_catalog_csv(text, source="pricing.csv", company="Quillstack", currency="USD")
    labels = [limit.label for limit in catalog.plan("free").limits]
    assert labels == ["AI queries per month", "Version history (days)"]


def test_semicolon_delimiter_is_reported_clearly() -> None:
    text = PLANS_CSV.splitlines()[0].replace(",", ";") + "\nfree;Free;x;seat;0;0;false;3;2;a\n"
    message = _error(text)
    assert message.startswith("pricing.csv: line 1: header not recognised")
    assert "separated by semicolons" in message
    assert "save it with commas" in message


def test_missing_required_column_is_named() -> None:
    text = "id,name,unit,monthly\nfree,Free,seat,0\n"
    message = _error(text)
    assert 'pricing.csv: line 1: missing required column(s) "annual"' in message


def test_unknown_column_is_named() -> None:
    message = _error(_replaced("contact_sales,", "contact,"))
    assert 'pricing.csv: line 1: unknown column "contact"' in message


def test_row_with_wrong_number_of_values_gives_its_line() -> None:
    message = _error(_replaced('"For teams, with guests"', "For teams, with guests"))
    assert message.startswith("pricing.csv: line 3: has 11 values but the header has 10 columns")


def test_bad_price_names_line_and_column() -> None:
    message = _error(_replaced("seat,8.50,85", "seat,8.505,85"))
    assert message == (
        'pricing.csv: line 3: monthly: must be a number >= 0 with at most 2 decimals (got "8.505")'
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("seat,8.50,85", "seat,-8.50,85", "line 3: monthly: must be a number >= 0"),
        (
            "seat,0,0,false",
            "seat,,,false",
            "line 2: monthly/annual: is required unless contact_sales",
        ),
        ("flat,,,yes", "flat,10,100,yes", "line 4: monthly/annual: must be left out when"),
        ("enterprise,Enterprise", "team,Enterprise", 'line 4: id: "team" is already used'),
        ("free,Free", "Free Plan,Free", "line 2: id: must be a lowercase slug"),
        (
            "no,unlimited",
            "maybe,unlimited",
            'line 3: contact_sales: must be true or false (got "maybe")',
        ),
        ("no,unlimited,100", "no,unlimited,-4", "line 3: limit:storage_gb: must be a whole number"),
        ("seat,0,0", "user,0,0", "line 2: unit: must be 'seat' or 'flat'"),
    ],
)
def test_bad_rows_are_rejected_with_line_and_column(old: str, new: str, expected: str) -> None:
    assert f"pricing.csv: {expected}" in _error(_replaced(old, new))


def test_invalid_currency_argument_is_rejected() -> None:
    with pytest.raises(InvalidCatalog) as caught:
        parse_catalog_csv(PLANS_CSV, source="pricing.csv", company="Quillstack", currency="usd")
    assert caught.value.message.startswith("pricing.csv: currency: must be a 3-letter")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "pricing.csv: the file is empty"),
        (PLANS_CSV.splitlines()[0] + "\n", "pricing.csv: the file has a header but no plan rows"),
        ("id,name,unit,monthly,annual,limit:Storage\n", 'line 1: column "limit:Storage"'),
    ],
)
def test_structurally_wrong_csv_is_rejected(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_load_catalog_reads_csv_files(tmp_path: Path) -> None:
    path = tmp_path / "pricing.csv"
    path.write_text(PLANS_CSV, encoding="utf-8")
    loaded = load_catalog(path, company="Quillstack", currency="USD")
    assert loaded == parse_catalog_yaml(PLANS_YAML, source="pricing.yaml")


def test_load_catalog_needs_a_company_for_csv(tmp_path: Path) -> None:
    path = tmp_path / "pricing.csv"
    path.write_text(PLANS_CSV, encoding="utf-8")
    with pytest.raises(InvalidCatalog, match="pass company="):
        load_catalog(path)
