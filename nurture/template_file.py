"""Read an email template library (YAML) and check every template before anything is stored.

```yaml
templates:
  welcome:
    subject: "Welcome to {{ company }}, {{ lead.first_name | default('there') }}"
    text: |
      ...
    html: |          # optional: without it the email is plain text only
      ...
```

Each part is parsed and rendered in the sandbox against two sample leads, a full one and one who
gave only an email address, so a typo'd variable, a field that can be empty and is printed
without a fallback, or a bad `checkout_url(...)` argument is an error at load time, not a dead
send later. Every problem is reported at once, each prefixed with where it is
(`templates.welcome.html: Jinja2 syntax error at line 3: unexpected '}'`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from checkout.catalog import Catalog
from leads.nurture_models import TEMPLATE_NAME_MAX
from nurture.errors import InvalidTemplate
from nurture.personalisation import sample_context
from nurture.rendering import (
    CONTEXT_NAMES,
    PartProblem,
    TemplateParts,
    render_part,
    syntax_problem,
    unknown_name_problem,
    unknown_names,
    used_names,
)

MAX_FILE_BYTES = 512 * 1024
PART_MAX = 64 * 1024
FIELDS = ("subject", "text", "html")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class EmailTemplate:
    """A checked template of the library, with the hash of its content."""

    name: str
    subject: str
    text: str
    html: str | None
    content_hash: str

    def parts(self) -> TemplateParts:
        """Return the sources the renderer takes."""
        return TemplateParts(name=self.name, subject=self.subject, text=self.text, html=self.html)


def content_hash(subject: str, text: str, html: str | None) -> str:
    """Return the SHA-256 of a template's content: equal content, equal hash."""
    canonical = json.dumps([subject, text, html], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_template_library(
    text: str, *, source: str = "templates", catalog: Catalog | None = None
) -> tuple[EmailTemplate, ...]:
    """Parse and check a library file; raise InvalidTemplate listing every problem."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidTemplate(source, [f"larger than {MAX_FILE_BYTES // 1024} KiB"])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidTemplate(source, [f"not YAML: {exc}"]) from exc
    return check_template_library(data, source=source, catalog=catalog)


def check_template_library(
    data: Any, *, source: str = "templates", catalog: Catalog | None = None
) -> tuple[EmailTemplate, ...]:
    """Check a library given as data; raise InvalidTemplate listing every problem."""
    templates = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(templates, dict) or not templates:
        raise InvalidTemplate(
            source, ["expected `templates:` mapping names to {subject, text, html}"]
        )
    extra = sorted(str(key) for key in data if key != "templates")
    problems = [f"unknown top-level field {key!r} (only `templates:`)" for key in extra]
    checked: list[EmailTemplate] = []
    for name, body in templates.items():
        found, template = _check_entry(name, body, catalog=catalog)
        problems.extend(found)
        if template is not None:
            checked.append(template)
    if problems:
        raise InvalidTemplate(source, problems)
    return tuple(sorted(checked, key=lambda t: t.name))


def _check_entry(
    name: object, body: object, *, catalog: Catalog | None
) -> tuple[list[str], EmailTemplate | None]:
    label = f"templates.{name}"
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > TEMPLATE_NAME_MAX:
        return [f"{label}: a name is lowercase letters, digits, '-' and '_'"], None
    if not isinstance(body, dict):
        return [f"{label}: expected a mapping with subject, text and (optionally) html"], None
    problems = [
        f"{label}: unknown field {key!r} (fields: {', '.join(FIELDS)})"
        for key in body
        if key not in FIELDS
    ]
    parts: dict[str, str | None] = {}
    for part in FIELDS:
        value = body.get(part)
        if value is None or (part == "html" and isinstance(value, str) and not value.strip()):
            if part != "html":
                problems.append(f"{label}.{part}: missing")
            parts[part] = None
        elif not isinstance(value, str):
            problems.append(f"{label}.{part}: expected text, got {type(value).__name__}")
        else:
            parts[part] = value
    if problems:
        return problems, None
    subject, text, html = parts["subject"] or "", parts["text"] or "", parts["html"]
    try:
        return [], check_template(
            name, subject=subject, text=text, html=html, label=label, catalog=catalog
        )
    except InvalidTemplate as exc:
        return list(exc.problems), None


def check_template(
    name: str,
    *,
    subject: str,
    text: str,
    html: str | None,
    label: str | None = None,
    catalog: Catalog | None = None,
) -> EmailTemplate:
    """Check one template's parts; raise InvalidTemplate listing every problem."""
    label = label or f"templates.{name}"
    sources: list[tuple[str, str, bool]] = [("subject", subject, False), ("text", text, False)]
    if html is not None:
        sources.append(("html", html, True))
    problems: list[str] = []
    for part, source, is_html in sources:
        where = f"{label}.{part}"
        problems.extend(_part_problems(where, part, source, html=is_html, catalog=catalog))
    if problems:
        raise InvalidTemplate(f"template {name!r}", problems)
    return EmailTemplate(
        name=name,
        subject=subject,
        text=text,
        html=html,
        content_hash=content_hash(subject, text, html),
    )


def _part_problems(
    label: str, part: str, source: str, *, html: bool, catalog: Catalog | None
) -> list[str]:
    if len(source) > PART_MAX:
        return [f"{label}: longer than {PART_MAX // 1024} KiB"]
    if not source.strip():
        return [f"{label}: empty"]
    syntax = syntax_problem(source, html=html)
    if syntax is not None:
        return [f"{label}: {syntax}"]
    unknown = unknown_names(source, html=html)
    if unknown:
        return [f"{label}: {unknown_name_problem(n, CONTEXT_NAMES)}" for n in unknown]
    if part != "subject" and "unsubscribe_url" not in used_names(source, html=html):
        return [f"{label}: no unsubscribe link: add {{{{ unsubscribe_url }}}}"]
    return _render_problems(label, part, source, html=html, catalog=catalog)


def _render_problems(
    label: str, part: str, source: str, *, html: bool, catalog: Catalog | None
) -> list[str]:
    for sparse, note in ((False, ""), (True, " (with a lead who gave only an email address)")):
        context: Mapping[str, Any] = sample_context(sparse=sparse, catalog=catalog)
        try:
            rendered = render_part(source, context, html=html)
        except PartProblem as exc:
            return [f"{label}: {exc}{note}"]
        if part == "subject" and not rendered.strip():
            return [f"{label}: renders empty{note}"]
    return []
