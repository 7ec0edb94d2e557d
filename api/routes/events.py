"""Event intake from sites and apps, and the lead view."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from api.auth import Principal
from api.deps import ResourcesDep, SessionDep, require
from api.schemas import ErrorBody
from api.schemas_events import (
    EventBatch,
    EventBatchResponse,
    EventItem,
    EventResult,
    LeadOut,
    ScoredLeadOut,
)
from leads.event_rules import EventIn
from leads.intake import EventOutcome, ingest_events
from leads.lead_list import LIST_MAX, list_scored_leads, score_summary
from leads.models import utcnow
from leads.profiles import get_lead_view
from nurture.exits import EXIT_EVENT_TYPES

router = APIRouter(prefix="/v1", tags=["events"])
Sender = Annotated[Principal, Depends(require("site", "admin"))]
Reader = Annotated[Principal, Depends(require("admin", "rep", "marketer"))]


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "event"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"invalid_field: {field}: {first['msg']}{more}"


def _parse(raw: dict[str, Any]) -> EventIn | EventResult:
    """Return the event, or its rejection when a field has the wrong shape."""
    try:
        item = EventItem.model_validate(raw)
    except ValidationError as exc:
        event_id = raw.get("event_id")
        return EventResult(
            event_id=event_id if isinstance(event_id, str) else None,
            status="rejected",
            reason=_problem(exc),
        )
    return EventIn(**item.model_dump())


def _result(outcome: EventOutcome) -> EventResult:
    return EventResult.model_validate(asdict(outcome))


@router.post(
    "/events",
    response_model=EventBatchResponse,
    summary="Send a batch of 1 to 500 events (site, admin)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
def post_events(
    body: EventBatch, session: SessionDep, resources: ResourcesDep, caller: Sender
) -> EventBatchResponse:
    """Store each event once; answer accepted, duplicate or rejected (with the reason) per event."""
    parsed = [_parse(raw) for raw in body.events]
    batch = [p for p in parsed if isinstance(p, EventIn)]
    intake = ingest_events(session, batch=batch, received_at=utcnow(), actor=f"key:{caller.name}")
    # Committed before the rescoring task is queued, so the worker reads what was stored.
    session.commit()
    if intake.touched_lead_ids:
        resources.enqueue_rescore(sorted(intake.touched_lead_ids))
    # A purchase, reply or unsubscribe ends nurture enrollments now, not at their next step.
    exits = {
        o.lead_id
        for e, o in zip(batch, intake.outcomes, strict=True)
        if o.status == "accepted" and o.lead_id is not None and e.type in EXIT_EVENT_TYPES
    }
    if exits:
        resources.enqueue_nurture_exits(sorted(exits))
    outcomes = iter(intake.outcomes)
    results = [p if isinstance(p, EventResult) else _result(next(outcomes)) for p in parsed]
    return EventBatchResponse(
        results=results,
        accepted=sum(r.status == "accepted" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
    )


@router.get(
    "/leads",
    response_model=list[ScoredLeadOut],
    tags=["leads"],
    summary="Scored leads, highest score first, optionally of one band (admin, rep, marketer)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def list_leads(
    session: SessionDep,
    _reader: Reader,
    band: Annotated[Literal["hot", "warm", "cold"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ScoredLeadOut]:
    """Return the leads a rep works from, by their newest score."""
    rows = list_scored_leads(session, band=band, limit=limit, offset=offset)
    return [
        ScoredLeadOut.model_validate({**asdict(r), "summary": score_summary(r.probability)})
        for r in rows
    ]


@router.get(
    "/leads/{lead_id}",
    response_model=LeadOut,
    tags=["leads"],
    summary="A lead with identities, touches, latest score and last 50 events (admin, rep, "
    "marketer)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
def get_lead(lead_id: int, session: SessionDep, _reader: Reader) -> LeadOut:
    """Return one lead as a rep or marketer sees it."""
    return LeadOut.model_validate(asdict(get_lead_view(session, lead_id=lead_id)))
