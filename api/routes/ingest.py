"""Ingest jobs, run by a Celery worker so a large corpus never blocks the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.auth import Principal
from api.deps import ResourcesDep, require
from api.resources import JobStatus
from api.schemas import ErrorBody, IngestRequest, Job
from ingestion.errors import SourceNotFound

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
    responses={404: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def start_ingest(body: IngestRequest, resources: ResourcesDep, _admin: Admin) -> Job:
    """Queue `ingestion.ingest_source` for a path; poll the returned job."""
    path = Path(body.path).expanduser()
    if not path.exists():
        raise SourceNotFound(f"{body.path} does not exist on the server")
    job_id = resources.enqueue_ingest(
        str(path.resolve()), body.visibility, body.base_url, body.force
    )
    return _job(resources.job_status(job_id))


@router.get(
    "/{job_id}",
    response_model=Job,
    summary="An ingest job's progress and summary (admin)",
    responses={403: {"model": ErrorBody}},
)
def ingest_status(job_id: str, resources: ResourcesDep, _admin: Admin) -> Job:
    """Return a job's state; its summary once it has finished."""
    return _job(resources.job_status(job_id))
