"""The website chat: start a session, send messages (JSON or streamed), read the transcript."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from api.auth import Forbidden, Principal, issue_session_token
from api.deps import ResourcesDep, SessionDep, require
from api.resources import AppResources
from api.schemas import ErrorBody, SessionResponse
from api.schemas_chat import (
    ChatAnswerOut,
    ChatMessageIn,
    ConsentIn,
    ConsentOut,
    TranscriptMessageOut,
)
from assistant.agent import AgentTools
from assistant.answers import Action
from assistant.chat import ChatTurn, chat_turn, start_chat
from assistant.consent import consent_from_chat
from checkout.catalog import BillingPeriod, Catalog
from checkout.links import PERIODS, sign_checkout
from leads.conversations import get_conversation, transcript
from leads.models import utcnow

router = APIRouter(prefix="/v1/chat", tags=["chat"])
Chatter = Annotated[Principal, Depends(require("site", "admin", "rep", sessions=True))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
    429: {"model": ErrorBody},
}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_session(principal: Principal, session_id: str) -> None:
    """Refuse a session token used on another chat session."""
    if principal.kind == "session" and principal.session_id != session_id:
        raise Forbidden("this session token belongs to another chat session")


@router.post(
    "/sessions",
    response_model=SessionResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Start a chat session (public; rate-limited per address)",
    responses={429: {"model": ErrorBody}},
)
def create_chat_session(
    request: Request, resources: ResourcesDep, session: SessionDep
) -> SessionResponse:
    """Start a chat; the token admits this session's messages and transcript only."""
    resources.rate_limits.new_session(address=_address(request))
    session_id = start_chat(session, at=utcnow())
    token, _ = issue_session_token(resources.signing_key, session_id=session_id)
    return SessionResponse(session_id=session_id, token=token, expires_in=resources.session_ttl_s)


def _action_out(
    action: Action, turn: ChatTurn, resources: AppResources, catalog: Catalog | None
) -> dict[str, object]:
    out: dict[str, object] = asdict(action)
    if action.kind == "book_meeting":
        out["slots"] = [asdict(s) for s in turn.slots]
    if action.kind == "checkout" and action.plan and action.period in PERIODS and catalog:
        period: BillingPeriod = "annual" if action.period == "annual" else "monthly"
        token = sign_checkout(
            resources.signing_key,
            catalog,
            plan_id=action.plan,
            period=period,
            lead_id=turn.lead_id,
        )
        out["url"] = f"{resources.public_url}/checkout/{token}"
    return out


def _answer_out(turn: ChatTurn, resources: AppResources, tools: AgentTools) -> ChatAnswerOut:
    answer = turn.answer
    return ChatAnswerOut.model_validate(
        {
            "answer": answer.answer,
            "citations": [asdict(c) for c in answer.citations],
            "actions": [_action_out(a, turn, resources, tools.catalog) for a in answer.actions],
            "confidence": answer.confidence,
            "intent": answer.intent,
            "not_covered": answer.not_covered,
            "lead_id": turn.lead_id,
            "rep": turn.held_by,
            "asked": turn.asked,
        }
    )


def _turn(
    session: Session, resources: ResourcesDep, tools: AgentTools, session_id: str, text: str
) -> ChatTurn:
    turn = chat_turn(session, session_id=session_id, text=text, tools=tools, at=utcnow())
    session.commit()
    if turn.touched_lead_ids:
        resources.enqueue_rescore(sorted(turn.touched_lead_ids))
    return turn


def _stream(out: ChatAnswerOut) -> Iterator[str]:
    # Tokens are words of the checked answer: nothing unchecked is ever streamed.
    words = out.answer.split(" ")
    for i, word in enumerate(words):
        yield f"event: token\ndata: {json.dumps(word + (' ' if i < len(words) - 1 else ''))}\n\n"
    yield f"event: done\ndata: {out.model_dump_json()}\n\n"


@router.post(
    "/sessions/{session_id}/messages",
    response_model=ChatAnswerOut,
    summary="Send a message; JSON, or tokens as server-sent events with `Accept: "
    "text/event-stream` (session token, site, admin, rep)",
    responses=_ERRORS,
)
def post_message(
    session_id: str,
    body: ChatMessageIn,
    request: Request,
    resources: ResourcesDep,
    session: SessionDep,
    principal: Chatter,
) -> ChatAnswerOut | StreamingResponse:
    """Answer a prospect's message with citations, offered actions and a confidence."""
    check_session(principal, session_id)
    resources.rate_limits.message(session_id=session_id, address=_address(request))
    tools = resources.agent()  # once per turn: the answer and its checkout links share it
    out = _answer_out(_turn(session, resources, tools, session_id, body.text), resources, tools)
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(_stream(out), media_type="text/event-stream")
    return out


@router.get(
    "/sessions/{session_id}/messages",
    response_model=list[TranscriptMessageOut],
    summary="The transcript, oldest first (session token, site, admin, rep)",
    responses=_ERRORS,
)
def get_transcript(
    session_id: str,
    session: SessionDep,
    principal: Chatter,
    after: Annotated[int, Query(ge=0, description="Only messages with a larger id")] = 0,
) -> list[TranscriptMessageOut]:
    """Return a chat's turns with each answer's citations and actions (the widget polls this)."""
    check_session(principal, session_id)
    conversation = get_conversation(session, session_id=session_id)
    return [
        TranscriptMessageOut.model_validate(asdict(m))
        for m in transcript(session, conversation=conversation, after_id=after)
    ]


@router.post(
    "/sessions/{session_id}/consent",
    response_model=ConsentOut,
    summary="Record the prospect's consent decision, e.g. to be emailed (session token, site, "
    "admin, rep)",
    responses=_ERRORS,
)
def post_consent(
    session_id: str,
    body: ConsentIn,
    resources: ResourcesDep,
    session: SessionDep,
    principal: Chatter,
) -> ConsentOut:
    """Record `consent_given` / `consent_withdrawn` for the chat's lead, with source chat."""
    check_session(principal, session_id)
    recorded = consent_from_chat(
        session,
        session_id=session_id,
        purpose=body.purpose,
        granted=body.granted,
        company=resources.agent().company,
        at=utcnow(),
    )
    session.commit()
    if recorded.touched_lead_ids:
        resources.enqueue_rescore(sorted(recorded.touched_lead_ids))
    return ConsentOut(
        purpose=recorded.purpose,
        granted=recorded.granted,
        lead_id=recorded.lead_id,
        text=recorded.text,
    )
