"""Links in nurture email: one-click unsubscribe, tracked clicks and opens (public, signed).

- `GET /n/c/{token}`: records the click (an `email_clicked` event), then redirects to the one
  URL signed into the token; a tracking failure never blocks the reader.
- `GET /n/u/{token}`: a page with an unsubscribe button. A GET changes nothing, because mail
  scanners follow every link in a message.
- `POST /n/u/{token}`: unsubscribes (the page's button, or a mail provider's RFC 8058
  one-click POST with the body `List-Unsubscribe=One-Click`).
- `GET /n/o/{token}`: a 1×1 GIF that records the first open.

A link that was altered is a 400, an expired one a 410: a browser gets a page saying what to
do, an API client the usual `{"error", "detail"}` body.
"""

from __future__ import annotations

import base64
import logging
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import ResourcesDep, SessionDep
from api.resources import AppResources
from leads.models import utcnow
from leads.nurture_models import NurtureSend
from nurture.errors import NurtureLinkExpired, NurtureLinkInvalid
from nurture.links import expired_click_target, read_click, read_open, read_unsubscribe
from nurture.tracking import Tracked, record_click, record_open, unsubscribe

router = APIRouter(prefix="", tags=["nurture-links"])
_log = logging.getLogger("clinch.api.nurture_links")
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;"
    "color:#1f2933}h1{font-size:1.4rem}button{font:inherit;padding:.6rem 1.2rem;border:0;"
    "border-radius:6px;background:#1f2933;color:#fff;cursor:pointer}p.small{color:#52606d;"
    "font-size:.9rem}"
)
LinkError = NurtureLinkInvalid | NurtureLinkExpired


def _page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _link_error(
    request: Request, exc: LinkError, *, kind: str, target: str | None = None
) -> Response:
    """Return a page a person can act on; re-raise for API clients (JSON via the error map)."""
    if not _wants_html(request):
        raise exc
    if isinstance(exc, NurtureLinkExpired):
        title, status = "This link has expired", 410
        advice = (
            "<p>To stop our emails, use the unsubscribe link in a more recent email from us, "
            "or reply to any of them and ask.</p>"
            if kind == "unsubscribe"
            else "<p>Links in our emails work for a limited time.</p>"
        )
        if target is not None:
            advice += f'<p>It led to <a href="{escape(target)}">{escape(target)}</a>.</p>'
    else:
        title, status = "This link is not valid", 400
        advice = (
            "<p>It may have been cut short or changed when it was copied. Open it again from "
            "the email itself, or reply to the email and we will help.</p>"
        )
    return _page(title, advice, status=status)


def _secret(resources: AppResources) -> tuple[str, int]:
    return resources.nurture.signing_key, resources.nurture.link_ttl_s


def _after_commit(resources: AppResources, tracked: Tracked, *, exits: bool = False) -> None:
    if tracked.touched_lead_ids:
        resources.enqueue_rescore(sorted(tracked.touched_lead_ids))
    if exits and tracked.lead_id is not None:
        resources.enqueue_nurture_exits([tracked.lead_id])


@router.get(
    "/n/c/{token}",
    summary="A tracked link in a nurture email: records the click, redirects to its signed URL",
    response_class=RedirectResponse,
    status_code=302,
)
def follow_click(
    token: str, request: Request, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Record a click on a nurture email's link and lead on to the one URL it was signed for."""
    secret, ttl = _secret(resources)
    try:
        click = read_click(secret, token, max_age_s=ttl)
    except NurtureLinkExpired as exc:
        return _link_error(request, exc, kind="click", target=expired_click_target(secret, token))
    except NurtureLinkInvalid as exc:
        return _link_error(request, exc, kind="click")
    try:
        tracked = record_click(session, click=click, now=utcnow())
        session.commit()
    except Exception:  # the reader still gets where they were going
        _log.exception("could not record a click on nurture send %d", click.send_id)
        session.rollback()
    else:
        _after_commit(resources, tracked)
    return RedirectResponse(click.url, status_code=302, headers=_NO_STORE)


def _masked(email: str | None) -> str:
    if not email or "@" not in email:
        return "your address"
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 1)}@{domain}"


def _unsubscribe_form(token: str, company: str, to_email: str | None) -> str:
    return (
        f"<p>You will get no more marketing email from {escape(company)} at "
        f"<strong>{escape(_masked(to_email))}</strong>.</p>"
        f'<form method="post" action="/n/u/{escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
        '<p class="small">Nothing changes until you press the button.</p>'
    )


def _to_email(session: Session, send_id: int) -> str | None:
    send = session.get(NurtureSend, send_id)
    return send.to_email if send is not None else None


def _unsubscribe_target(token: str, request: Request, resources: AppResources) -> int | Response:
    """Return the send an unsubscribe token names, or the answer to a bad token."""
    secret, ttl = _secret(resources)
    try:
        return read_unsubscribe(secret, token, max_age_s=ttl)
    except (NurtureLinkInvalid, NurtureLinkExpired) as exc:
        return _link_error(request, exc, kind="unsubscribe")


@router.get(
    "/n/u/{token}",
    summary="The unsubscribe page of a nurture email (changes nothing: press its button)",
    response_class=HTMLResponse,
)
def unsubscribe_page(
    token: str, request: Request, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Show a page with an unsubscribe button (a GET never unsubscribes: link scanners)."""
    send_id = _unsubscribe_target(token, request, resources)
    if isinstance(send_id, Response):
        return send_id
    company = resources.nurture.company_name
    form = _unsubscribe_form(token, company, _to_email(session, send_id))
    return _page(f"Unsubscribe from {company}", form)


@router.post(
    "/n/u/{token}",
    summary="Unsubscribe (RFC 8058 one-click, or the page's button); idempotent",
    response_class=HTMLResponse,
)
def unsubscribe_now(
    token: str, request: Request, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Withdraw the lead's marketing consent and end their nurture enrollments."""
    send_id = _unsubscribe_target(token, request, resources)
    if isinstance(send_id, Response):
        return send_id
    tracked = unsubscribe(session, send_id=send_id, now=utcnow())
    session.commit()  # before the exit task is queued, so the worker reads the consent
    _after_commit(resources, tracked, exits=True)
    company = resources.nurture.company_name
    return _page(
        "You are unsubscribed",
        f"<p>{escape(company)} will send no more marketing email to "
        f"<strong>{escape(_masked(_to_email(session, send_id)))}</strong>.</p>",
    )


@router.get(
    "/n/o/{token}",
    summary="The open-tracking image of a nurture email (a 1×1 GIF)",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}}},
)
def open_image(token: str, session: SessionDep, resources: ResourcesDep) -> Response:
    """Record the first open of a nurture email and return a transparent pixel."""
    secret, ttl = _secret(resources)
    send_id = read_open(secret, token, max_age_s=ttl)
    try:
        tracked = record_open(session, send_id=send_id, now=utcnow())
        session.commit()
    except Exception:  # an image never fails because tracking did
        _log.exception("could not record an open of nurture send %d", send_id)
        session.rollback()
    else:
        _after_commit(resources, tracked)
    return Response(_GIF, media_type="image/gif", headers=_NO_STORE)
