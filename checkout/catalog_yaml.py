"""Read a pricing catalog written in YAML."""

from collections.abc import Hashable
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from checkout.catalog import Catalog
from checkout.catalog_validation import Location, show_value, validate_catalog
from checkout.errors import InvalidCatalog

# Only null and merge keys are resolved implicitly; every other plain scalar stays text so that
# prices keep their exact decimal digits ("8.50") and words like "no" or "on" are not booleans.
_MERGE_TAG = "tag:yaml.org,2002:merge"
_KEPT_TAGS = frozenset({"tag:yaml.org,2002:null", _MERGE_TAG})
_SYNTAX_HINT = 'check indentation, and put text containing ": " or " #" in quotes'


class _TextScalarLoader(yaml.SafeLoader):
    """A safe loader that keeps numbers, booleans and dates as text and rejects duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = key_node.value
            if key in seen:
                message = f'duplicate key "{key}"; keep only one'
                raise ConstructorError(None, None, message, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TextScalarLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag in _KEPT_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_catalog_yaml(text: str, *, source: str) -> Catalog:
    """Parse a YAML catalog, naming `source` in every error."""
    try:
        raw = yaml.load(text, Loader=_TextScalarLoader)
    except yaml.MarkedYAMLError as error:
        raise InvalidCatalog(source, [_syntax_problem(error)]) from None
    except yaml.YAMLError as error:
        raise InvalidCatalog(source, [f"not valid YAML: {error}"]) from None
    if raw is None:
        raise InvalidCatalog(source, ["the file is empty; it needs company, currency and plans"])
    if not isinstance(raw, dict):
        message = (
            "the top level must be a mapping with company, currency and plans "
            f"(got {show_value(raw)})"
        )
        raise InvalidCatalog(source, [message])
    return validate_catalog(raw, source=source, locate=yaml_location)


def yaml_location(location: Location) -> str:
    """Spell a location as a field path, like "plans[1].price.monthly"."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _syntax_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    what = error.problem or error.context or "invalid syntax"
    if mark is None:
        return f"not valid YAML: {what}; {_SYNTAX_HINT}"
    return f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what}; {_SYNTAX_HINT}"
