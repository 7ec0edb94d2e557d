"""The email template library: save checked templates (a new version per change), get, list.

A template is stored by name; saving different content bumps its version, saving the same
content changes nothing. A send renders the library's current content when it goes out.
Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leads import audit
from leads.models import as_utc
from leads.nurture_models import NurtureTemplate
from nurture.errors import TemplateNotFound
from nurture.rendering import TemplateParts
from nurture.template_file import EmailTemplate


@dataclass(frozen=True)
class SavedTemplate:
    """The outcome of saving a template: its version now, and whether this save changed it."""

    name: str
    version: int
    changed: bool
    content_hash: str


@dataclass(frozen=True)
class TemplateInfo:
    """A stored template."""

    name: str
    subject: str
    text: str
    html: str | None
    version: int
    content_hash: str
    updated_at: datetime

    def parts(self) -> TemplateParts:
        """Return the sources the renderer takes."""
        return TemplateParts(name=self.name, subject=self.subject, text=self.text, html=self.html)


def _info(row: NurtureTemplate) -> TemplateInfo:
    return TemplateInfo(
        name=row.name,
        subject=row.subject,
        text=row.text,
        html=row.html,
        version=row.version,
        content_hash=row.content_hash,
        updated_at=as_utc(row.updated_at),
    )


def _find(session: Session, name: str) -> NurtureTemplate | None:
    return session.scalars(select(NurtureTemplate).where(NurtureTemplate.name == name)).first()


def save_template(
    session: Session, template: EmailTemplate, *, actor: str, at: datetime
) -> SavedTemplate:
    """Store a checked template: new, a new version if its content changed, else unchanged."""
    row = _find(session, template.name)
    if row is not None and row.content_hash == template.content_hash:
        return SavedTemplate(row.name, row.version, changed=False, content_hash=row.content_hash)
    if row is None:
        row = NurtureTemplate(name=template.name, version=1)
        session.add(row)
    else:
        row.version += 1
    row.subject, row.text, row.html = template.subject, template.text, template.html
    row.content_hash, row.updated_at = template.content_hash, at
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="nurture.template_saved",
        subject_type="template",
        subject_id=template.name,
        detail={"version": row.version, "hash": template.content_hash[:12]},
        at=at,
    )
    return SavedTemplate(row.name, row.version, changed=True, content_hash=row.content_hash)


def save_templates(
    session: Session, library: Iterable[EmailTemplate], *, actor: str, at: datetime
) -> int:
    """Store a checked library; return how many templates were new or changed."""
    return sum(save_template(session, t, actor=actor, at=at).changed for t in library)


def get_template(session: Session, *, name: str) -> TemplateInfo:
    """Return the stored template with this name."""
    row = _find(session, name)
    if row is None:
        known = sorted(session.scalars(select(NurtureTemplate.name)))
        listed = ", ".join(known) if known else "none: load a library with `clinch nurture load`"
        raise TemplateNotFound(f"no email template named {name!r} (templates: {listed})")
    return _info(row)


def list_templates(session: Session) -> list[TemplateInfo]:
    """Return every stored template, by name."""
    rows = session.scalars(select(NurtureTemplate).order_by(NurtureTemplate.name))
    return [_info(row) for row in rows]
