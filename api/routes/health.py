"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ResourcesDep, SessionDep
from api.schemas import Health
from leads.documents import count_documents

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness (public)")
def healthz(resources: ResourcesDep, session: SessionDep) -> Health:
    """Report that the API is up, and what it is connected to."""
    return Health(
        status="ok",
        vector_backend=resources.vector_backend,
        chunks=resources.store.count(),
        documents=count_documents(session),
    )
