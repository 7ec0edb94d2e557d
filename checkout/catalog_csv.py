"""Read a pricing catalog written as CSV: one plan per row, no add-ons.

Header: `id,name,summary,unit,monthly,annual,contact_sales,limit:<key>...,features`.
A limit column may carry its label after a second colon (`limit:storage_gb:Storage (GB)`);
otherwise the label is the key made readable ("storage_gb" -> "Storage (GB)").
Features are separated by `;`. Leave monthly and annual empty when contact_sales is true.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from checkout.catalog import Catalog
from checkout.catalog_schema import LIMIT_KEY_PATTERN
from checkout.catalog_validation import Location, show_value, validate_catalog
from checkout.errors import InvalidCatalog

_REQUIRED = ("id", "name", "unit", "monthly", "annual")
_OPTIONAL = ("summary", "contact_sales", "features")
_LIMIT_PREFIX = "limit:"
_EXPECTED = "id,name,summary,unit,monthly,annual,contact_sales,limit:<key>,...,features"
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
_ACRONYMS = frozenset(
    {"ai", "api", "gb", "kb", "mb", "tb", "sso", "saml", "sla", "url", "ip", "id"}
)
_UNITS = frozenset({"gb", "kb", "mb", "tb", "days", "hours", "minutes", "months", "years"})


@dataclass(frozen=True, slots=True)
class _LimitColumn:
    key: str
    label: str
    index: int


@dataclass(frozen=True, slots=True)
class _Header:
    columns: dict[str, int]
    limits: tuple[_LimitColumn, ...]
    width: int


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    cells: list[str]


def parse_catalog_csv(text: str, *, source: str, company: str, currency: str) -> Catalog:
    """Parse a CSV catalog of plans, naming `source` in every error."""
    rows = _read_rows(text, source=source)
    if not rows:
        raise InvalidCatalog(source, [f"the file is empty; expected a header row: {_EXPECTED}"])
    header = _read_header(rows[0], source=source)
    plan_rows = rows[1:]
    if not plan_rows:
        raise InvalidCatalog(source, ["the file has a header but no plan rows"])
    width_problems = [
        f"line {row.line}: has {len(row.cells)} values but the header has {header.width} "
        "columns; put values that contain commas in double quotes"
        for row in plan_rows
        if len(row.cells) != header.width
    ]
    if width_problems:
        raise InvalidCatalog(source, width_problems)
    raw = {
        "company": company,
        "currency": currency,
        "limit_labels": {limit.key: limit.label for limit in header.limits},
        "plans": [_plan_data(row.cells, header) for row in plan_rows],
    }
    lines = [row.line for row in plan_rows]

    def locate(location: Location) -> str:
        return _csv_location(location, lines=lines)

    return validate_catalog(raw, source=source, locate=locate)


def _read_rows(text: str, *, source: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[_Row] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                rows.append(_Row(line=start, cells=[cell.strip() for cell in cells]))
    except csv.Error as error:
        raise InvalidCatalog(source, [f"line {reader.line_num}: not valid CSV: {error}"]) from None
    return rows


def _read_header(row: _Row, *, source: str) -> _Header:
    columns: dict[str, int] = {}
    limits: list[_LimitColumn] = []
    problems: list[str] = []
    for index, cell in enumerate(row.cells):
        name = cell.lower()
        if name.startswith(_LIMIT_PREFIX):
            key, _, label = cell[len(_LIMIT_PREFIX) :].partition(":")
            key = key.strip()
            if not LIMIT_KEY_PATTERN.fullmatch(key):
                problems.append(
                    f'line {row.line}: column "{cell}": the limit key must be lowercase letters, '
                    'digits and underscores, like "limit:storage_gb"'
                )
            elif any(limit.key == key for limit in limits):
                problems.append(f'line {row.line}: column "{cell}" appears more than once')
            else:
                limits.append(_LimitColumn(key, label.strip() or _humanise(key), index))
        elif name in _REQUIRED or name in _OPTIONAL:
            if name in columns:
                problems.append(f'line {row.line}: column "{cell}" appears more than once')
            columns[name] = index
        else:
            problems.append(
                f"line {row.line}: unknown column {show_value(cell)}; "
                f"the header must use these columns: {_EXPECTED}"
            )
    if not columns:
        raise InvalidCatalog(source, [_unrecognised_header(row)])
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        listed = ", ".join(f'"{name}"' for name in missing)
        problems.append(
            f"line {row.line}: missing required column(s) {listed}; expected {_EXPECTED}"
        )
    if problems:
        raise InvalidCatalog(source, problems)
    return _Header(columns=columns, limits=tuple(limits), width=len(row.cells))


def _unrecognised_header(row: _Row) -> str:
    joined = ",".join(row.cells)
    message = (
        f"line {row.line}: header not recognised (got {show_value(joined)}); "
        f"expected comma-separated columns {_EXPECTED}"
    )
    if len(row.cells) == 1:
        for delimiter, name in _OTHER_DELIMITERS.items():
            if delimiter in row.cells[0]:
                return f"{message}. The file seems to be separated by {name}: save it with commas"
    return message


def _plan_data(cells: Sequence[str], header: _Header) -> dict[str, object]:
    def cell(name: str) -> str:
        index = header.columns.get(name)
        return cells[index] if index is not None else ""

    data: dict[str, object] = {
        "id": cell("id"),
        "name": cell("name"),
        "summary": cell("summary"),
        "unit": cell("unit"),
        "contact_sales": cell("contact_sales"),
        "limits": {limit.key: cells[limit.index] for limit in header.limits if cells[limit.index]},
        "features": list(_split_features(cell("features"))),
    }
    if cell("monthly") or cell("annual"):
        data["price"] = {"monthly": cell("monthly"), "annual": cell("annual")}
    return data


def _split_features(text: str) -> Iterator[str]:
    for feature in text.split(";"):
        if feature.strip():
            yield feature.strip()


def _csv_location(location: Location, *, lines: Sequence[int]) -> str:
    if len(location) < 2 or location[0] != "plans" or not isinstance(location[1], int):
        return ".".join(str(part) for part in location)
    line = lines[location[1]]
    rest = location[2:]
    if not rest:
        return f"line {line}"
    if rest[0] == "price":
        column = str(rest[1]) if len(rest) > 1 else "monthly/annual"
    elif rest[0] == "limits" and len(rest) > 1:
        column = f"{_LIMIT_PREFIX}{rest[1]}"
    else:
        column = str(rest[0])
    return f"line {line}: {column}"


def _humanise(key: str) -> str:
    words = [
        word.upper() if word in _ACRONYMS else word for word in key.replace("-", "_").split("_")
    ]
    if len(words) > 1 and words[-1].lower() in _UNITS:
        words[-1] = f"({words[-1]})"
    text = " ".join(words)
    return text[:1].upper() + text[1:]
