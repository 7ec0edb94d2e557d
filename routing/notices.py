"""Notices to reps and managers, written in the routing transaction (an outbox) and sent after.

A notice is a row per channel and target, keyed so the same notice is never made twice; the
delivery task posts or mails it after the commit, and retries it until delivered or dead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leads.conversations import transcript
from leads.models import (
    Account,
    Assignment,
    Conversation,
    Lead,
    Notification,
    Rep,
    WebhookEndpoint,
    as_utc,
)
from leads.profiles import latest_score

# Turns of the prospect's latest chat carried in a notice: the gist, not the whole thread.
EXCERPT_TURNS = 6
EXCERPT_CHARS = 500
# A lead's purchase, told to the rep who owns it.
PURCHASED = "lead.purchased"


def _excerpt(session: Session, *, lead_id: int) -> list[dict[str, str]]:
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.lead_id == lead_id)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()
    if conversation is None:
        return []
    turns = transcript(session, conversation=conversation)[-EXCERPT_TURNS:]
    return [{"role": m.role, "text": m.text[:EXCERPT_CHARS]} for m in turns]


def _lead_part(session: Session, lead: Lead) -> dict[str, Any]:
    score = latest_score(session, lead_id=lead.id)
    return {
        "lead": {
            "id": lead.id,
            "email": lead.email,
            "name": lead.name,
            "company": lead.company,
            "role": lead.role,
            "team_size": lead.team_size,
            "country": lead.country,
            "status": lead.status,
        },
        "score": None
        if score is None
        else {
            "probability": round(score.probability, 4),
            "band": score.band,
            "model_version": score.model_version,
            "reasons": [r.get("text") for r in score.reasons if r.get("text")],
        },
        "conversation": _excerpt(session, lead_id=lead.id),
    }


def _rep_part(rep: Rep) -> dict[str, Any]:
    return {"id": rep.id, "name": rep.name, "email": rep.email, "team": rep.team}


def _add(
    session: Session,
    *,
    key: str,
    event: str,
    channel: str,
    target: str,
    lead_id: int,
    payload: dict[str, Any],
    now: datetime,
    assignment_id: int | None = None,
    endpoint_id: int | None = None,
) -> int | None:
    row = Notification(
        key=key[:400],
        event=event,
        channel=channel,
        target=target,
        lead_id=lead_id,
        assignment_id=assignment_id,
        endpoint_id=endpoint_id,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # made already (a redelivered task): not twice
    return row.id


def _endpoints(session: Session, *, rep: Rep) -> list[WebhookEndpoint]:
    owners = [WebhookEndpoint.rep_id == rep.id]
    if rep.team:
        owners.append(WebhookEndpoint.team == rep.team)
    query = select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True), or_(*owners))
    return list(session.scalars(query.order_by(WebhookEndpoint.id)))


def notify_assignment(
    session: Session, *, assignment: Assignment, event: str, now: datetime
) -> list[int]:
    """Write the notices of an offered lead (rep's and team's webhooks, the rep's email)."""
    rep = session.get(Rep, assignment.rep_id)
    lead = session.get(Lead, assignment.lead_id)
    if rep is None or lead is None:
        return []
    due = as_utc(assignment.sla_due_at).isoformat() if assignment.sla_due_at else None
    payload = {
        "event": event,
        **_lead_part(session, lead),
        "assignment": {
            "id": assignment.id,
            "attempt": assignment.attempt,
            "band": assignment.band,
            "reasons": list(assignment.reasons),
            "sla_due_at": due,
        },
        "rep": _rep_part(rep),
        "at": now.isoformat(),
    }
    ids = []
    for endpoint in _endpoints(session, rep=rep):
        ids.append(
            _add(
                session,
                key=f"{event}:a{assignment.id}:webhook:{endpoint.id}",
                event=event,
                channel="webhook",
                target=endpoint.url,
                lead_id=lead.id,
                assignment_id=assignment.id,
                endpoint_id=endpoint.id,
                payload=payload,
                now=now,
            )
        )
    ids.append(
        _add(
            session,
            key=f"{event}:a{assignment.id}:email:{rep.email}",
            event=event,
            channel="email",
            target=rep.email,
            lead_id=lead.id,
            assignment_id=assignment.id,
            payload=payload,
            now=now,
        )
    )
    return [i for i in ids if i is not None]


def managers_for(session: Session, *, teams: set[str]) -> list[Rep]:
    """Return the active managers of these teams, or every active manager if none leads them."""
    managers = list(
        session.scalars(
            select(Rep).where(Rep.is_manager.is_(True), Rep.active.is_(True)).order_by(Rep.id)
        )
    )
    own = [m for m in managers if m.team in teams]
    return own or managers


def notify_managers(
    session: Session,
    *,
    lead_id: int,
    teams: set[str],
    reasons: list[str],
    event: str,
    round_key: str,
    now: datetime,
) -> list[int]:
    """Write an alert to the managers (emails and their teams' webhooks); return the ids."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return []
    payload = {
        "event": event,
        **_lead_part(session, lead),
        "reasons": reasons,
        "at": now.isoformat(),
    }
    ids: list[int | None] = []
    for manager in managers_for(session, teams=teams):
        ids.append(
            _add(
                session,
                key=f"{event}:l{lead_id}:{round_key}:email:{manager.email}",
                event=event,
                channel="email",
                target=manager.email,
                lead_id=lead_id,
                payload={**payload, "manager": _rep_part(manager)},
                now=now,
            )
        )
    team_hooks = select(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(True), WebhookEndpoint.team.in_(sorted(teams))
    )
    for endpoint in session.scalars(team_hooks):
        ids.append(
            _add(
                session,
                key=f"{event}:l{lead_id}:{round_key}:webhook:{endpoint.id}",
                event=event,
                channel="webhook",
                target=endpoint.url,
                lead_id=lead_id,
                endpoint_id=endpoint.id,
                payload=payload,
                now=now,
            )
        )
    return [i for i in ids if i is not None]


def _owning_rep(session: Session, *, lead: Lead) -> Rep | None:
    """Return the account's owner, else the rep who last accepted the lead (active reps only)."""
    candidates: list[int] = []
    if lead.account_id is not None:
        account = session.get(Account, lead.account_id)
        if account is not None and account.owner_rep_id is not None:
            candidates.append(account.owner_rep_id)
    accepted = session.scalar(
        select(Assignment.rep_id)
        .where(Assignment.lead_id == lead.id, Assignment.accepted_at.is_not(None))
        .order_by(Assignment.accepted_at.desc(), Assignment.id.desc())
        .limit(1)
    )
    if accepted is not None:
        candidates.append(accepted)
    for rep_id in candidates:
        rep = session.get(Rep, rep_id)
        if rep is not None and rep.active:
            return rep
    return None


def purchase_notices(
    session: Session,
    *,
    lead_id: int,
    purchase_id: str,
    purchase: dict[str, Any],
    now: datetime,
) -> list[int]:
    """Tell the rep who owns a lead that it bought (email and webhooks); return the notice ids."""
    lead = session.get(Lead, lead_id)
    rep = _owning_rep(session, lead=lead) if lead is not None else None
    if lead is None or rep is None:
        return []
    payload = {
        "event": PURCHASED,
        **_lead_part(session, lead),
        "purchase": {"id": purchase_id, **purchase},
        "rep": _rep_part(rep),
        "at": now.isoformat(),
    }
    hooks = [("webhook", e.url, e.id, f"webhook:{e.id}") for e in _endpoints(session, rep=rep)]
    targets = [*hooks, ("email", rep.email, None, f"email:{rep.email}")]
    ids = [
        _add(
            session,
            key=f"{PURCHASED}:l{lead_id}:{purchase_id}:{suffix}",
            event=PURCHASED,
            channel=channel,
            target=target,
            lead_id=lead_id,
            endpoint_id=endpoint_id,
            payload=payload,
            now=now,
        )
        for channel, target, endpoint_id, suffix in targets
    ]
    return [i for i in ids if i is not None]
