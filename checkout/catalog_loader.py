"""Load a pricing catalog from a file, choosing the format from its extension."""

from pathlib import Path

from checkout.catalog import Catalog
from checkout.catalog_csv import parse_catalog_csv
from checkout.catalog_yaml import parse_catalog_yaml
from checkout.errors import InvalidCatalog

__all__ = ["load_catalog", "parse_catalog_csv", "parse_catalog_yaml"]

_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def load_catalog(path: Path, *, company: str | None = None, currency: str = "USD") -> Catalog:
    """Load a `.yaml`/`.yml` or `.csv` catalog; a CSV file takes company and currency from here."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES and suffix != ".csv":
        raise InvalidCatalog(source, ["unsupported file type; use a .yaml, .yml or .csv file"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidCatalog(source, ["file not found; check the path"]) from None
    except UnicodeDecodeError:
        raise InvalidCatalog(source, ["not UTF-8 text; save the file as UTF-8"]) from None
    except OSError as error:
        raise InvalidCatalog(source, [f"cannot be read: {error.strerror}"]) from None
    if suffix in _YAML_SUFFIXES:
        return parse_catalog_yaml(text, source=source)
    if company is None:
        message = "a CSV catalog has no company name; pass company= when loading it"
        raise InvalidCatalog(source, [message])
    return parse_catalog_csv(text, source=source, company=company, currency=currency)
