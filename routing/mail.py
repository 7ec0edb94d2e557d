"""Notices as email: a rep's offer, a manager's alert; plain text from package templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from routing.webhooks import DELIVERY_HEADER, EVENT_HEADER

OFFER_EVENTS = ("lead.assigned", "lead.reassigned")
PURCHASE_EVENT = "lead.purchased"


@lru_cache(maxsize=1)
def _templates() -> Environment:
    # Plain text mail: nothing is HTML-escaped.
    return Environment(
        loader=PackageLoader("routing", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _who(lead: Mapping[str, Any]) -> str:
    name = lead.get("name") or lead.get("email") or f"lead {lead.get('id')}"
    return f"{name} ({lead['company']})" if lead.get("company") else str(name)


def _band(payload: Mapping[str, Any]) -> str:
    assignment = payload.get("assignment") or {}
    score = payload.get("score") or {}
    return str(assignment.get("band") or score.get("band") or "unscored")


def _due(payload: Mapping[str, Any]) -> str | None:
    due = (payload.get("assignment") or {}).get("sla_due_at")
    return datetime.fromisoformat(due).strftime("%H:%M UTC") if due else None


def subject_of(event: str, payload: Mapping[str, Any]) -> str:
    """Return a notice's subject line, e.g. "Hot lead for you: Jane Doe (Acme) — accept by …"."""
    who, band = _who(payload.get("lead") or {}), _band(payload).capitalize()
    if event in OFFER_EVENTS:
        verb = "re-assigned to you" if event == "lead.reassigned" else "for you"
        due = _due(payload)
        return f"{band} lead {verb}: {who}" + (f" — accept by {due}" if due else "")
    if event == PURCHASE_EVENT:
        total = (payload.get("purchase") or {}).get("total", "")
        return f"Your lead bought: {who}" + (f" — {total}" if total else "")
    if event == "lead.sla_escalated":
        return f"SLA missed on a {band.lower()} lead: no rep accepted {who} in time"
    return f"Unroutable {band.lower()} lead: no rep can take {who}"


def _lead_facts(lead: Mapping[str, Any]) -> list[tuple[str, str]]:
    labels = [("email", "email"), ("company", "company"), ("role", "role")]
    labels += [("team_size", "team size"), ("country", "country")]
    return [(label, str(lead[key])) for key, label in labels if lead.get(key)]


def _context(event: str, payload: Mapping[str, Any], *, public_url: str) -> dict[str, Any]:
    lead, score = payload.get("lead") or {}, payload.get("score") or {}
    probability = score.get("probability")
    turns = payload.get("conversation") or []
    return {
        "event": event,
        "who": _who(lead),
        "lead": lead,
        "lead_facts": _lead_facts(lead),
        "band": _band(payload),
        "percent": "no score yet" if probability is None else f"{probability * 100:.0f}%",
        "score_reasons": list(score.get("reasons") or []),
        "conversation": [
            {"role": t.get("role", "?"), "text": " ".join(str(t.get("text", "")).split())}
            for t in turns
        ],
        "inbox_url": f"{public_url.rstrip('/')}/inbox",
    }


def body_of(event: str, payload: Mapping[str, Any], *, public_url: str) -> str:
    """Return a notice's plain-text body."""
    context = _context(event, payload, public_url=public_url)
    if event in OFFER_EVENTS:
        assignment = payload.get("assignment") or {}
        context |= {
            "rep_name": (payload.get("rep") or {}).get("name") or "there",
            "reassigned": event == "lead.reassigned",
            "due": _due(payload),
            "routing_reasons": list(assignment.get("reasons") or []),
        }
        return _templates().get_template("offer.txt.j2").render(context)
    if event == PURCHASE_EVENT:
        return _purchase_body(context, payload)
    context |= {
        "manager_name": (payload.get("manager") or {}).get("name") or "there",
        "reasons": list(payload.get("reasons") or []),
    }
    return _templates().get_template("manager_alert.txt.j2").render(context)


def _purchase_body(context: dict[str, Any], payload: Mapping[str, Any]) -> str:
    purchase = payload.get("purchase") or {}
    context |= {
        "rep_name": (payload.get("rep") or {}).get("name") or "there",
        "plan": purchase.get("plan_name") or purchase.get("plan_id") or "a plan",
        "period": purchase.get("period") or "",
        "quantity": int(purchase.get("quantity") or 1),
        "total": purchase.get("total") or "",
        "source": purchase.get("price_source") or "",
        "reference": purchase.get("session_id") or purchase.get("id") or "",
    }
    return _templates().get_template("purchase.txt.j2").render(context)


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "clinch.localhost"


def render_notice(
    *,
    notification_id: int,
    event: str,
    target: str,
    payload: Mapping[str, Any],
    sender: str,
    public_url: str,
    at: datetime,
) -> EmailMessage:
    """Return a notice as an email to its target."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = target
    message["Subject"] = subject_of(event, payload)
    message["Date"] = format_datetime(at)
    # The same id on every retry, so a mail server or a reader can drop a duplicate.
    message["Message-ID"] = f"<notification-{notification_id}@{_domain(sender)}>"
    message[EVENT_HEADER] = event
    message[DELIVERY_HEADER] = str(notification_id)
    message.set_content(body_of(event, payload, public_url=public_url))
    return message
