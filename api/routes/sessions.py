"""Short-lived session tokens for public (prospect) endpoints."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth import issue_session_token
from api.deps import ResourcesDep
from api.schemas import SessionResponse

router = APIRouter(prefix="/v1", tags=["sessions"])


@router.post(
    "/sessions",
    response_model=SessionResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Start an anonymous prospect session (public)",
)
def create_session(resources: ResourcesDep) -> SessionResponse:
    """Return a signed token that expires; it admits only public, prospect-facing routes."""
    token, sid = issue_session_token(resources.signing_key)
    return SessionResponse(session_id=sid, token=token, expires_in=resources.session_ttl_s)
