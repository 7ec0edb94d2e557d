"""Signed checkout links: exact catalog price, tamper-proof, expiring."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from checkout.catalog import Catalog
from checkout.catalog_loader import load_catalog
from checkout.errors import CheckoutLinkExpired, CheckoutLinkInvalid, PriceNotListed
from checkout.links import read_checkout, sign_checkout

SECRET = "s" * 48
DEMO = Path(__file__).resolve().parents[2] / "demo" / "pricing.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DEMO)


def test_a_link_carries_the_exact_catalog_price(catalog: Catalog) -> None:
    token = sign_checkout(SECRET, catalog, plan_id="team", period="annual", lead_id=7)
    offer = read_checkout(SECRET, token, max_age_s=3600)
    assert (offer.plan_id, offer.plan_name, offer.period) == ("team", "Team", "annual")
    assert offer.unit_price == Decimal("85") == catalog.price_of("team", "annual")
    assert (offer.currency, offer.lead_id) == ("USD", 7)


def test_a_contact_sales_plan_gets_no_link(catalog: Catalog) -> None:
    with pytest.raises(PriceNotListed):
        sign_checkout(SECRET, catalog, plan_id="enterprise", period="monthly")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: t.replace(t.split(".")[0], t.split(".")[0][:-1] + "x"),  # body changed
        lambda t: t[: len(t) // 2],  # cut
        lambda t: "not-a-token",
    ],
)
def test_an_altered_link_is_refused(catalog: Catalog, tamper: object) -> None:
    token = sign_checkout(SECRET, catalog, plan_id="team", period="monthly")
    assert callable(tamper)
    with pytest.raises(CheckoutLinkInvalid, match="not valid"):
        read_checkout(SECRET, tamper(token), max_age_s=3600)
    with pytest.raises(CheckoutLinkInvalid):
        read_checkout("o" * 48, token, max_age_s=3600)  # another installation's key


def test_an_old_link_expires(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: now - 7200)  # signed two hours ago
        token = sign_checkout(SECRET, catalog, plan_id="team", period="monthly")
    assert read_checkout(SECRET, token, max_age_s=3 * 3600).plan_id == "team"
    with pytest.raises(CheckoutLinkExpired, match="expired"):
        read_checkout(SECRET, token, max_age_s=3600)
