"""Request and response bodies of the API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retrieval.schemas import Audience, SearchMode, Visibility


class ErrorBody(BaseModel):
    """Every error: a machine code and a sentence a person can act on."""

    error: str
    detail: object


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI `responses` documenting these statuses with the error body."""
    return {code: {"model": ErrorBody} for code in codes}


class Health(BaseModel):
    """Liveness and what the process is connected to."""

    status: Literal["ok"]
    vector_backend: str
    chunks: int
    documents: int


class SearchRequest(BaseModel):
    """A search over the knowledge base."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000)
    audience: Audience = "prospect"
    k: int = Field(default=5, ge=1, le=100)
    mode: SearchMode = "hybrid"
    per_source: int | None = Field(default=1, ge=1, le=100)


class SearchHit(BaseModel):
    """One retrieved chunk."""

    id: str
    score: float
    title: str
    source: str
    url: str | None
    heading_path: list[str]
    visibility: Visibility
    text: str


class SearchResponse(BaseModel):
    """Search results, best first."""

    query: str
    audience: Audience
    hits: list[SearchHit]


class IngestRequest(BaseModel):
    """A folder or file on the server to bring into the knowledge base."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096)
    visibility: Visibility = "public"
    base_url: str | None = Field(default=None, max_length=2000)
    force: bool = False


class Job(BaseModel):
    """A background job's state."""

    id: str
    state: Literal["queued", "running", "succeeded", "failed"]
    done: int
    total: int
    result: dict[str, object] | None = None
    error: str | None = None


class SessionResponse(BaseModel):
    """A short-lived token for a public (prospect) session."""

    session_id: str
    token: str
    expires_in: int
