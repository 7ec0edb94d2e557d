"""Render nurture email in Jinja2's sandbox: a subject, a plain-text part and an optional HTML part.

Templates are written by marketers, so they run in `SandboxedEnvironment` (no attribute starting
with `_`, no unsafe calls, bounded `range`). Nothing renders as a silent blank: a name the
context lacks raises (`StrictUndefined`, with "did you mean" for a typo), and a field this lead
has no value for (no name, no company) is `Missing`: false in `{% if %}`, replaced by
`| default(...)`, but an error when printed as it is. HTML is autoescaped; text and subject are
not. Compiled templates are cached by source, so a batch of sends compiles each part once.
"""

from __future__ import annotations

import difflib
import functools
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, meta
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from leads.errors import ClinchError
from nurture.errors import InvalidTemplate

# The names a template can use; see nurture/personalisation.py for what each holds.
CONTEXT_NAMES = ("lead", "company", "plan", "pages", "track", "checkout_url", "unsubscribe_url")
_FILENAME = "<template>"
SUBJECT_MAX = 300


class RenderFailed(InvalidTemplate):
    """A template that failed for this lead: the part, the line and what was wrong."""

    def __init__(self, template: str, problem: str) -> None:
        ClinchError.__init__(self, f"template {template!r}: {problem}")
        self.source = f"template {template!r}"
        self.problems = (problem,)


class Fields(Mapping[str, Any]):
    """A named group of values (`lead`, `plan`, a page); None becomes `Missing`."""

    def __init__(self, label: str, values: Mapping[str, Any]) -> None:
        self.label = label
        self._values = {
            key: Missing(f"{label}.{key}") if value is None else value
            for key, value in values.items()
        }

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            # Raised, not returned as undefined: `| default(...)` must not hide a typo.
            hint = _suggestion(str(key), self._values, prefix=f"{self.label}.")
            raise UndefinedError(f"unknown variable '{self.label}.{key}'{hint}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        """Return a field's value, or default when there is no such field."""
        return self._values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Items(list[Any]):
    """A named list (`pages`): an index past its end names the list in the error."""

    def __init__(self, label: str, items: Iterable[Any]) -> None:
        super().__init__(items)
        self.label = label


class Missing(Undefined):
    """A value this lead does not have: false, replaced by `default`, refused when printed."""

    __slots__ = ()

    def __init__(self, name: str, why: str | None = None) -> None:
        super().__init__(hint=why, name=name)

    @property
    def _undefined_message(self) -> str:
        name, why = self._undefined_name, self._undefined_hint
        empty = f"{name} is empty ({why})" if why else f"{name} is empty for this lead"
        return (
            f"{empty}; write {{{{ {name} | default('…') }}}} "
            f"or wrap it in {{% if {name} %}}…{{% endif %}}"
        )

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return Missing(f"{self._undefined_name}.{name}", self._undefined_hint)

    def __getitem__(self, key: object) -> Any:
        return Missing(f"{self._undefined_name}[{key!r}]", self._undefined_hint)

    __str__ = Undefined._fail_with_undefined_error


def _suggestion(name: str, known: Iterable[str], *, prefix: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{prefix}{close[0]}'?)"
    return f" (known: {', '.join(prefix + k for k in known)})"


def unknown_name_problem(name: str, known: Iterable[str]) -> str:
    """Say that a template names an unknown variable, with the closest known name."""
    return f"unknown variable '{name}'{_suggestion(name, known)}"


class Strict(StrictUndefined):
    """StrictUndefined whose errors name the variable and the closest known name."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint:
            return self._undefined_hint
        if obj is missing:
            return unknown_name_problem(str(name), CONTEXT_NAMES)
        if isinstance(obj, Items):
            return (
                f"{obj.label} has no item {name!r} for this lead ({len(obj)} in all); "
                f"test {{% if {obj.label} %}} or loop with {{% for … in {obj.label} %}}"
            )
        return str(super()._undefined_message)


@dataclass(frozen=True)
class TemplateParts:
    """An email template's sources: subject, plain text and (optionally) HTML."""

    name: str
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class RenderedEmail:
    """An email as one lead receives it."""

    template: str
    subject: str
    text: str
    html: str | None


@functools.cache
def environment(*, html: bool) -> SandboxedEnvironment:
    """Return the sandbox templates run in (autoescaped for HTML)."""
    return SandboxedEnvironment(
        autoescape=html,
        undefined=Strict,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.lru_cache(maxsize=1024)
def compiled(source: str, *, html: bool) -> Template:
    """Return a part compiled once per source (raises TemplateSyntaxError)."""
    return environment(html=html).from_string(source)


def syntax_problem(source: str, *, html: bool) -> str | None:
    """Return what is wrong with a part's Jinja2 syntax, or None."""
    try:
        environment(html=html).parse(source)
    except TemplateSyntaxError as exc:
        return f"Jinja2 syntax error at line {exc.lineno}: {exc.message}"
    return None


def used_names(source: str, *, html: bool) -> set[str]:
    """Return the context names a (syntactically valid) part uses."""
    return set(meta.find_undeclared_variables(environment(html=html).parse(source)))


def unknown_names(source: str, *, html: bool) -> list[str]:
    """Return the names a (syntactically valid) part uses that no context provides."""
    known = set(CONTEXT_NAMES) | set(environment(html=html).globals)
    return sorted(used_names(source, html=html) - known)


def _template_line(exc: BaseException) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == _FILENAME:
            line = lineno
    return line


class PartProblem(ValueError):
    """What went wrong rendering one part, with the template line when known."""


def _problem_of(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        return str(exc)
    if isinstance(exc, SecurityError):
        return f"not allowed in a template: {exc}"
    if isinstance(exc, ClinchError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def render_part(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    """Render one part; raise PartProblem with the line and the problem (never a stack trace)."""
    try:
        return compiled(source, html=html).render(context)
    except TemplateSyntaxError as exc:
        raise PartProblem(f"Jinja2 syntax error at line {exc.lineno}: {exc.message}") from exc
    # A template is marketer-written code: any failure inside it is that template's problem.
    except Exception as exc:
        line = _template_line(exc)
        where = f"line {line}: " if line is not None else ""
        raise PartProblem(f"{where}{_problem_of(exc)}") from exc


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_parts(parts: TemplateParts, context: Mapping[str, Any]) -> RenderedEmail:
    """Render a template for one lead; raise RenderFailed naming the part and the problem."""
    rendered: dict[str, str | None] = {}
    for part, source, html in (
        ("subject", parts.subject, False),
        ("text", parts.text, False),
        ("html", parts.html, True),
    ):
        if source is None:
            rendered[part] = None
            continue
        try:
            rendered[part] = render_part(source, context, html=html)
        except PartProblem as exc:
            raise RenderFailed(parts.name, f"{part}: {exc}") from exc
    subject = _one_line(rendered["subject"] or "")
    if not subject:
        raise RenderFailed(parts.name, "subject: renders empty for this lead")
    text = rendered["text"] or ""
    if not text.strip():
        raise RenderFailed(parts.name, "text: renders empty for this lead")
    return RenderedEmail(
        template=parts.name, subject=subject[:SUBJECT_MAX], text=text, html=rendered["html"]
    )
