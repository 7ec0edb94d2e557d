"""Map domain errors to HTTP statuses and a `{"error", "detail"}` body."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Forbidden, InvalidCredentials, InvalidRole, MissingCredentials, RepRequired
from api.rate_limits import RateLimited
from assistant.errors import MessageRefused
from assistant.handoff_errors import (
    ChatHeldByAnotherRep,
    ChatNotTakenOver,
    NotASlot,
    RepUnavailable,
)
from checkout.errors import (
    CheckoutLinkExpired,
    CheckoutLinkInvalid,
    InvalidCatalog,
    PaymentEventInvalid,
    PaymentSignatureInvalid,
    PlanNotFound,
    PriceNotListed,
)
from ingestion.errors import (
    IngestionError,
    IngestJobNotFound,
    IngestQueueUnavailable,
    SourceNotFound,
)
from leads.errors import ClinchError, ConversationNotFound, InvalidEvent, LeadNotFound
from leads.meetings import SlotTaken
from leads.reps import RepNotFound
from leads.reps_file import InvalidRepsFile
from nurture.errors import (
    EnrollmentNotFound,
    InvalidSequence,
    InvalidTemplate,
    NurtureLinkExpired,
    NurtureLinkInvalid,
    SendNotDead,
    SendNotFound,
    SequenceNotFound,
    StepNotFound,
    TemplateNotFound,
)
from retrieval.errors import InvalidQuery, VectorStoreBusy, VectorStoreUnavailable
from routing.errors import (
    InvalidDisposition,
    InvalidRules,
    LeadNotAssigned,
    NotAManager,
    NotYourLead,
)

_log = logging.getLogger("clinch.api")

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[ClinchError], int], ...] = (
    (MissingCredentials, 401),
    (InvalidCredentials, 401),
    (Forbidden, 403),
    (InvalidRole, 422),
    (RepRequired, 422),
    (SourceNotFound, 404),
    (IngestJobNotFound, 404),
    (LeadNotFound, 404),
    (InvalidEvent, 422),
    (IngestQueueUnavailable, 503),
    (PlanNotFound, 404),
    (PriceNotListed, 409),
    (InvalidCatalog, 422),
    (IngestionError, 422),
    (InvalidQuery, 422),
    (VectorStoreBusy, 503),
    (RateLimited, 429),
    (CheckoutLinkExpired, 410),
    (CheckoutLinkInvalid, 400),
    (ConversationNotFound, 404),
    (MessageRefused, 422),
    (RepNotFound, 404),
    (ChatHeldByAnotherRep, 409),
    (ChatNotTakenOver, 409),
    (RepUnavailable, 409),
    (SlotTaken, 409),
    (NotASlot, 422),
    (InvalidRepsFile, 422),
    (NotYourLead, 403),
    (NotAManager, 403),
    (LeadNotAssigned, 409),
    (InvalidDisposition, 422),
    (InvalidRules, 422),
    (VectorStoreUnavailable, 503),
    (InvalidSequence, 422),
    (InvalidTemplate, 422),
    (SequenceNotFound, 404),
    (TemplateNotFound, 404),
    (StepNotFound, 404),
    (EnrollmentNotFound, 404),
    (SendNotFound, 404),
    (SendNotDead, 409),
    (NurtureLinkExpired, 410),
    (NurtureLinkInvalid, 400),
    (PaymentSignatureInvalid, 400),
    (PaymentEventInvalid, 422),
)


def _code(error: ClinchError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def status_for(error: ClinchError) -> int:
    """Return the HTTP status of a domain error (400 when none is listed)."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 400


def error_body(error: str, detail: object) -> dict[str, object]:
    """Return the one error body shape of the API."""
    return {"error": error, "detail": detail}


async def _clinch_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClinchError)
    headers = {"WWW-Authenticate": "Bearer"} if status_for(exc) == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(
        error_body(_code(exc), exc.message), status_code=status_for(exc), headers=headers
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]}
        for e in exc.errors()
    ]
    return JSONResponse(error_body("invalid_request", detail), status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    return JSONResponse(
        error_body(code, exc.detail), status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The detail names the request, never internals: the traceback goes to the log.
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    body = error_body("internal_error", "an unexpected error occurred; it has been logged")
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into `{"error", "detail"}` responses."""
    app.add_exception_handler(ClinchError, _clinch_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
