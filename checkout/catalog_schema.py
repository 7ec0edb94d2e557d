"""Pydantic models describing a catalog file, used only while parsing one."""

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LIMIT_KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0", ""})

AMOUNT_RULE = "must be a number >= 0 with at most 2 decimals"
SLUG_RULE = 'must be a lowercase slug of letters, digits and hyphens, like "team-plus"'
LIMIT_KEY_RULE = 'must be a lowercase key of letters, digits and underscores, like "storage_gb"'
CURRENCY_RULE = "must be a 3-letter uppercase currency code such as USD, EUR or GBP"
LIMIT_RULE = 'must be a whole number >= 0 or "unlimited"'
FLAG_RULE = "must be true or false"


def _fail(kind: str, rule: str) -> PydanticCustomError:
    return PydanticCustomError(kind, rule)


def _parse_amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _fail("amount", AMOUNT_RULE)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _fail("amount", AMOUNT_RULE) from None
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount < 0 or not isinstance(exponent, int) or exponent < -2:
        raise _fail("amount", AMOUNT_RULE)
    return amount.copy_abs()


def _parse_slug(value: object) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise _fail("slug", SLUG_RULE)
    return value


def _parse_limit_key(value: object) -> str:
    if not isinstance(value, str) or not LIMIT_KEY_PATTERN.fullmatch(value):
        raise _fail("limit_key", LIMIT_KEY_RULE)
    return value


def _parse_currency(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise _fail("currency", CURRENCY_RULE)
    return value


def _parse_limit(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "unlimited":
            return None
        if _WHOLE_NUMBER.fullmatch(text):
            return int(text)
    raise _fail("limit", LIMIT_RULE)


def _parse_flag(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _fail("flag", FLAG_RULE)


def _parse_optional_text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail("string_type", "must be text")
    return value.strip()


Amount = Annotated[Decimal, PlainValidator(_parse_amount)]
Slug = Annotated[str, PlainValidator(_parse_slug)]
LimitKey = Annotated[str, PlainValidator(_parse_limit_key)]
CurrencyCode = Annotated[str, PlainValidator(_parse_currency)]
LimitValue = Annotated[int | None, PlainValidator(_parse_limit)]
Flag = Annotated[bool, PlainValidator(_parse_flag)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str, PlainValidator(_parse_optional_text)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceEntry(_Entry):
    """A `price` mapping."""

    monthly: Amount
    annual: Amount


class PlanEntry(_Entry):
    """One item of `plans`."""

    id: Slug
    name: Text
    summary: OptionalText = ""
    unit: Literal["seat", "flat"]
    price: PriceEntry | None = None
    contact_sales: Flag = False
    limits: dict[LimitKey, LimitValue] = Field(default_factory=dict)
    features: list[Text] = Field(default_factory=list)


class AddOnEntry(_Entry):
    """One item of `addons`."""

    id: Slug
    name: Text
    description: OptionalText = ""
    unit: Text
    price: PriceEntry
    plans: list[Slug] = Field(min_length=1)


class CatalogEntry(_Entry):
    """A whole catalog file."""

    company: Text
    currency: CurrencyCode
    limit_labels: dict[LimitKey, Text] = Field(default_factory=dict)
    plans: list[PlanEntry] = Field(min_length=1)
    addons: list[AddOnEntry] = Field(default_factory=list)
