"""Repository of queued ingest jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leads.models import IngestJob


def add_job(
    session: Session, *, job_id: str, path: str, visibility: str, requested_by: str
) -> IngestJob:
    """Record a job before it is queued."""
    job = IngestJob(id=job_id, path=path, visibility=visibility, requested_by=requested_by)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: str) -> IngestJob | None:
    """Return a job by id."""
    return session.get(IngestJob, job_id)
