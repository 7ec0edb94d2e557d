"""Search over the knowledge base, filtered by audience."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.auth import Forbidden, Principal
from api.deps import ResourcesDep, require
from api.schemas import ErrorBody, SearchHit, SearchRequest, SearchResponse
from retrieval.search import search

router = APIRouter(prefix="/v1", tags=["search"])
Caller = Annotated[Principal, Depends(require("admin", "rep", "marketer", "site", sessions=True))]


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Search the knowledge base (admin, rep, marketer, site, session)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def search_route(
    body: SearchRequest, resources: ResourcesDep, principal: Caller
) -> SearchResponse:
    """Return the best chunks; internal documents only for admins and reps."""
    if body.audience == "rep" and principal.role not in ("admin", "rep"):
        raise Forbidden("the rep audience (internal documents) is for admin and rep keys only")
    chunks = await run_in_threadpool(
        search,
        body.query,
        embedder=resources.embedder,
        store=resources.store,
        audience=body.audience,
        k=body.k,
        mode=body.mode,
        per_source=body.per_source,
    )
    hits = [SearchHit.model_validate(c.to_dict()) for c in chunks]
    return SearchResponse(query=body.query, audience=body.audience, hits=hits)
