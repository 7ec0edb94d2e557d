"""Ingest jobs, run by a Celery worker so a large corpus never blocks the API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.auth import Principal
from api.deps import ResourcesDep, SessionDep, require
from api.resources import JobStatus
from api.schemas import ErrorBody, IngestRequest, Job
from ingestion.errors import IngestJobNotFound, IngestQueueUnavailable
from ingestion.sources import resolve_source
from leads import jobs as jobs_repo

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])
Admin = Annotated[Principal, Depends(require("admin"))]


def _job(job: JobStatus) -> Job:
    return Job(
        id=job.id,
        state=job.state,
        done=job.done,
        total=job.total,
        result=job.result,
        error=job.error,
    )


@router.post(
    "",
    response_model=Job,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue an ingest of a server-side folder or file (admin)",
    responses={404: {"model": ErrorBody}, 403: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def start_ingest(
    body: IngestRequest, resources: ResourcesDep, session: SessionDep, admin: Admin
) -> Job:
    """Queue `ingestion.ingest_source` for a path; poll the returned job."""
    path = resolve_source(body.path)
    job_id = str(uuid.uuid4())
    jobs_repo.add_job(
        session, job_id=job_id, path=str(path), visibility=body.visibility, requested_by=admin.name
    )
    # The job row is committed before the task is queued, so a fast worker never misses it.
    session.commit()
    try:
        resources.enqueue_ingest(job_id, str(path), body.visibility, body.base_url, body.force)
    except IngestQueueUnavailable:
        row = jobs_repo.get_job(session, job_id)
        if row is not None:
            session.delete(row)
            session.commit()
        raise
    return _job(resources.job_status(job_id))


@router.get(
    "/{job_id}",
    response_model=Job,
    summary="An ingest job's progress and summary (admin)",
    responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
def ingest_status(job_id: str, resources: ResourcesDep, session: SessionDep, _admin: Admin) -> Job:
    """Return a job's state; its summary once it has finished."""
    if jobs_repo.get_job(session, job_id) is None:
        raise IngestJobNotFound(f"no ingest job {job_id[:80]!r}: start one with POST /v1/ingest")
    return _job(resources.job_status(job_id))
