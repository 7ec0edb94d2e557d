"""Readable problems of a YAML config file that pydantic refused, with "did you mean" hints."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, ValidationError


def where(loc: tuple[int | str, ...]) -> str:
    """Return a pydantic location as `segments[0].nurture`."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _hint(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    """Return ' (did you mean …?)' for a misspelt key, walking the model to the parent."""
    target: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(target, "model_fields", {}).get(part)
        if field is None:
            return ""
        annotation = field.annotation
        candidates = _flatten((annotation,))
        target = next(
            (a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
        if target is None:
            return ""
    fields = list(getattr(target, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    return f" (did you mean `{close[0]}`?)" if close else f" (known: {', '.join(fields)})"


def _flatten(types: tuple[Any, ...]) -> list[Any]:
    found: list[Any] = []
    for item in types:
        args = get_args(item)
        found.extend(_flatten(args) if args else [item])
    return found


def problems_of(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """Return one line per problem pydantic found, naming where it is."""
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        at = where(loc) or "(file)"
        if error["type"] == "extra_forbidden":
            found.append(f"{at}: unknown key{_hint(loc, model)}")
        else:
            found.append(f"{at}: {str(error['msg']).removeprefix('Value error, ')}")
    return found
