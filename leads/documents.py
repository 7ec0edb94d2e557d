"""Repository of ingested source documents (the ingest manifest)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leads.models import TITLE_MAX, SourceDocument, utcnow


def documents_under(session: Session, root: str) -> dict[str, SourceDocument]:
    """Return the documents of one root folder, by relative path."""
    rows = session.scalars(select(SourceDocument).where(SourceDocument.root == root))
    return {row.path: row for row in rows}


def upsert_document(
    session: Session,
    *,
    root: str,
    path: str,
    content_hash: str,
    visibility: str,
    title: str,
    chunk_count: int,
) -> SourceDocument:
    """Record a document's current version."""
    row = session.scalars(
        select(SourceDocument).where(SourceDocument.root == root, SourceDocument.path == path)
    ).one_or_none()
    if row is None:
        row = SourceDocument(root=root, path=path)
        session.add(row)
    row.content_hash = content_hash
    row.visibility = visibility
    row.title = title[:TITLE_MAX]
    row.chunk_count = chunk_count
    row.ingested_at = utcnow()
    session.flush()
    return row


def delete_document(session: Session, row: SourceDocument) -> None:
    """Forget a document."""
    session.delete(row)
    session.flush()


def count_documents(session: Session) -> int:
    """Return how many documents are ingested."""
    return len(list(session.scalars(select(SourceDocument.id))))


def known_roots(session: Session) -> list[tuple[str, str]]:
    """Return each ingested root folder with the visibility its files were given most."""
    rows = session.execute(select(SourceDocument.root, SourceDocument.visibility)).all()
    seen: dict[str, dict[str, int]] = {}
    for root, visibility in rows:
        seen.setdefault(root, {}).setdefault(visibility, 0)
        seen[root][visibility] += 1
    return [(root, max(counts, key=lambda v: counts[v])) for root, counts in sorted(seen.items())]


def known_root_paths(session: Session) -> list[str]:
    """Return every root folder that has ingested documents."""
    return list(session.scalars(select(SourceDocument.root).distinct()))


def public_pricing_paths(session: Session) -> list[str]:
    """Return the full paths of ingested public pricing catalogs, newest ingest first."""
    rows = session.scalars(
        select(SourceDocument)
        .where(SourceDocument.visibility == "public", SourceDocument.path.like("%pricing%"))
        .order_by(SourceDocument.ingested_at.desc())
    )
    found = []
    for row in rows:
        name = row.path.rsplit("/", 1)[-1].lower()
        if name.startswith("pricing") and name.endswith((".yaml", ".yml", ".csv")):
            found.append(f"{row.root.rstrip('/')}/{row.path}")
    return found


def pricing_version(session: Session) -> tuple[int, str | None]:
    """Return a value that changes whenever a pricing catalog is ingested again or removed."""
    row = session.execute(
        select(func.count(SourceDocument.id), func.max(SourceDocument.ingested_at)).where(
            SourceDocument.path.like("%pricing%")
        )
    ).one()
    return int(row[0]), str(row[1]) if row[1] is not None else None
