"""The pricing catalog: plans, their prices and limits, add-ons, and money formatting."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from checkout.errors import PlanNotFound, PriceNotListed

BillingPeriod = Literal["monthly", "annual"]
PlanUnit = Literal["seat", "flat"]

_CENT = Decimal("0.01")
_UNIT = Decimal(1)
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True, slots=True)
class Price:
    """A list price: `monthly` per unit per month billed monthly, `annual` per unit per year."""

    monthly: Decimal
    annual: Decimal


@dataclass(frozen=True, slots=True)
class Limit:
    """A plan limit such as seats or storage; `value` None means unlimited."""

    key: str
    label: str
    value: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan as sold; `price` is None exactly when the plan is sold through sales."""

    id: str
    name: str
    summary: str
    unit: PlanUnit
    price: Price | None
    contact_sales: bool
    limits: tuple[Limit, ...]
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddOn:
    """An optional extra bought on top of one of the listed plans."""

    id: str
    name: str
    description: str
    unit: str
    price: Price
    plans: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything a company sells, in one currency."""

    company: str
    currency: str
    plans: tuple[Plan, ...]
    addons: tuple[AddOn, ...]

    def plan(self, plan_id: str) -> Plan:
        """Return the plan with this id."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise PlanNotFound(plan_id, known=[plan.id for plan in self.plans])

    def price_of(self, plan_id: str, period: BillingPeriod) -> Decimal:
        """Return the plan's list price per unit for the billing period."""
        price = self.plan(plan_id).price
        if price is None:
            raise PriceNotListed(plan_id)
        return price.monthly if period == "monthly" else price.annual


def format_money(amount: Decimal, currency: str) -> str:
    """Format an amount as "$8.50", "$150", "€12.00" or "12.50 CHF", keeping it exact."""
    if not amount.is_finite():
        raise ValueError(f"cannot format a non-finite amount: {amount}")
    exponent = amount.as_tuple().exponent
    whole = isinstance(exponent, int) and exponent >= 0
    magnitude = abs(amount).quantize(_CENT if not whole else _UNIT, rounding=ROUND_HALF_UP)
    number = f"{magnitude:,.0f}" if whole else f"{magnitude:,.2f}"
    sign = "-" if amount < 0 and magnitude != 0 else ""
    symbol = _CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{sign}{number} {currency}"
    return f"{sign}{symbol}{number}"
