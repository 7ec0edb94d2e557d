"""Handoffs from the chat: a rep takes it over, writes in it, releases it; meetings are booked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Forbidden, Principal, RepRequired
from api.deps import ResourcesDep, SessionDep, StaffDep
from api.routes.chat import Chatter, check_session
from api.schemas import error_responses
from api.schemas_chat import (
    HandoffOut,
    HoldOut,
    MeetingIn,
    MeetingOut,
    RepMessageIn,
    TakeoverIn,
    TranscriptMessageOut,
)
from assistant.meetings import book_meeting
from assistant.takeover import Hold, post_as_rep, release, take_over
from leads.conversations import open_handoffs
from leads.models import as_utc, utcnow

router = APIRouter(prefix="/v1/chat", tags=["chat"])
_ERRORS = error_responses(401, 403, 404, 409, 422)


def _acting_rep(principal: Principal, rep_id: int | None) -> int:
    """Return the rep the caller acts as: a rep key's own, or the one an admin names."""
    if principal.role == "rep":
        if principal.rep_id is None:
            raise Forbidden(
                "this rep key is not linked to a rep: create one with "
                "`clinch keys create --role rep --name NAME --rep EMAIL`"
            )
        if rep_id is not None and rep_id != principal.rep_id:
            raise Forbidden("a rep key acts only for its own rep")
        return principal.rep_id
    chosen = rep_id if rep_id is not None else principal.rep_id
    if chosen is None:
        raise RepRequired("an admin key not linked to a rep must give rep_id")
    return chosen


def _hold_out(hold: Hold) -> HoldOut:
    return HoldOut(session_id=hold.session_id, rep_id=hold.rep_id, rep_name=hold.rep_name)


@router.get(
    "/handoffs",
    response_model=list[HandoffOut],
    summary="Chats whose prospect asked for a person and no rep holds, oldest first (admin, rep)",
    responses=_ERRORS,
)
def list_handoffs(
    session: SessionDep,
    _principal: StaffDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[HandoffOut]:
    """List open "talk to a person" requests (the rep inbox of issue 5 will read these)."""
    return [
        HandoffOut(
            session_id=c.session_id,
            lead_id=c.lead_id,
            requested_at=as_utc(c.handoff_requested_at or c.started_at),
        )
        for c in open_handoffs(session, limit=limit)
    ]


@router.post(
    "/sessions/{session_id}/takeover",
    response_model=HoldOut,
    summary="A rep takes the chat over: the assistant stops answering (admin, rep)",
    responses=_ERRORS,
)
def post_takeover(
    session_id: str, session: SessionDep, principal: StaffDep, body: TakeoverIn | None = None
) -> HoldOut:
    """Give the chat to the caller's rep; 409 if another rep holds it."""
    rep_id = _acting_rep(principal, body.rep_id if body else None)
    hold = take_over(
        session, session_id=session_id, rep_id=rep_id, at=utcnow(), actor=principal.name
    )
    return _hold_out(hold)


@router.post(
    "/sessions/{session_id}/rep-messages",
    response_model=TranscriptMessageOut,
    status_code=201,
    summary="The holding rep writes in the chat (admin, rep)",
    responses=_ERRORS,
)
def post_rep_message(
    session_id: str, body: RepMessageIn, session: SessionDep, principal: StaffDep
) -> TranscriptMessageOut:
    """Add the rep's message to the transcript; 409 unless this rep holds the chat."""
    rep_id = _acting_rep(principal, body.rep_id)
    view = post_as_rep(session, session_id=session_id, rep_id=rep_id, text=body.text, at=utcnow())
    return TranscriptMessageOut(
        id=view.id, role=view.role, text=view.text, created_at=view.created_at, meta=view.meta
    )


@router.post(
    "/sessions/{session_id}/release",
    response_model=HoldOut,
    summary="Give the chat back to the assistant (the holding rep, or admin)",
    responses=_ERRORS,
)
def post_release(session_id: str, session: SessionDep, principal: StaffDep) -> HoldOut:
    """Release the chat; 409 if no rep holds it, or another rep does (an admin may release any)."""
    rep_id = _acting_rep(principal, None) if principal.role == "rep" else None
    hold = release(session, session_id=session_id, rep_id=rep_id, at=utcnow(), actor=principal.name)
    return _hold_out(hold)


@router.post(
    "/sessions/{session_id}/meetings",
    response_model=MeetingOut,
    status_code=201,
    summary="Book one of a rep's free slots (session token, site, admin, rep)",
    responses=_ERRORS,
)
def post_meeting(
    session_id: str,
    body: MeetingIn,
    resources: ResourcesDep,
    session: SessionDep,
    principal: Chatter,
) -> MeetingOut:
    """Book the slot: 409 if it was taken meanwhile, 422 if it is not one of the rep's slots."""
    check_session(principal, session_id)
    booked = book_meeting(
        session,
        session_id=session_id,
        rep_id=body.rep_id,
        start=body.start,
        at=utcnow(),
        actor=principal.name,
    )
    session.commit()
    if booked.touched_lead_ids:
        resources.enqueue_rescore(sorted(booked.touched_lead_ids))
    return MeetingOut(
        meeting_id=booked.meeting_id,
        rep_id=booked.rep_id,
        rep_name=booked.rep_name,
        start=booked.start,
        end=booked.end,
        timezone=booked.timezone,
        confirmation=booked.confirmation,
        lead_id=booked.lead_id,
    )
