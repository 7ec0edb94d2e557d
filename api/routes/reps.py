"""A rep's routes: their leads by score, accept, re-assign, dispose, availability, queue, team.

The caller is the rep their key speaks for (`clinch keys create --rep EMAIL`); an admin key may
act on any lead. Notices an action writes are queued only after the request's session commits:
the session dependency commits before the response is sent, background tasks run after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, BackgroundTasks
from sqlalchemy.orm import Session

from api.auth import Forbidden, Principal
from api.deps import ResourcesDep, SessionDep, StaffDep
from api.resources import AppResources
from api.schemas import error_responses
from api.schemas_reps import (
    AvailabilityIn,
    AvailabilityOut,
    DispositionIn,
    LeadStateOut,
    LiveLeadOut,
    MyLeadsOut,
    QueuedLeadOut,
    ReassignIn,
    RepOut,
    RoutingHistoryOut,
    TeamOut,
)
from leads.models import Rep, utcnow
from leads.reps import find_rep_by_email, get_rep
from routing.history import lead_state, routing_history
from routing.rep_actions import Acting, accept, dispose, reassign, require_manager, set_availability
from routing.service import Routed
from routing.views import rep_leads, rep_queue, team_view

router = APIRouter(prefix="/v1", tags=["reps"])
_ERRORS = error_responses(401, 403, 404, 409, 422)
_LINK = (
    "create a key that speaks for a rep with "
    "`clinch keys create --role rep --name NAME --rep EMAIL`"
)


def _my_rep(session: Session, principal: Principal) -> Rep:
    """Return the rep the key speaks for."""
    if principal.rep_id is None:
        raise Forbidden(f"the key {principal.name!r} does not speak for a rep: {_LINK}")
    return get_rep(session, rep_id=principal.rep_id)


def _acting(session: Session, principal: Principal) -> Acting:
    """Return who acts: a rep key's rep, or an admin (over every lead), named for the audit log."""
    if principal.role != "admin":
        rep = _my_rep(session, principal)
        return Acting(rep.id, admin=False, actor=f"{rep.email} (key {principal.name})")
    linked = get_rep(session, rep_id=principal.rep_id) if principal.rep_id is not None else None
    actor = (
        f"{linked.email} (admin key {principal.name})" if linked else f"admin key {principal.name}"
    )
    return Acting(principal.rep_id, admin=True, actor=actor)


def _after_commit(
    tasks: BackgroundTasks, resources: AppResources, routed: Iterable[Routed]
) -> None:
    """Queue the delivery of the notices written, once the response (so the commit) is done."""
    ids = [n for r in routed for n in r.notices]
    if ids:
        tasks.add_task(resources.enqueue_notices, ids)


def _state(session: Session, lead_id: int) -> LeadStateOut:
    return LeadStateOut.model_validate(lead_state(session, lead_id=lead_id, now=utcnow()))


@router.get(
    "/reps/me/leads",
    response_model=MyLeadsOut,
    summary="The caller's live leads, best score first, with SLA and chat (rep, admin)",
    responses=_ERRORS,
)
def get_my_leads(session: SessionDep, principal: StaffDep) -> MyLeadsOut:
    """List the leads offered to or accepted by the caller's rep."""
    rep = _my_rep(session, principal)
    now = utcnow()
    leads = [LiveLeadOut.model_validate(x) for x in rep_leads(session, rep_id=rep.id, now=now)]
    return MyLeadsOut(rep=RepOut.model_validate(rep), now=now, leads=leads)


@router.post(
    "/reps/me/leads/{lead_id}/accept",
    response_model=LeadStateOut,
    summary="Accept an offered lead before its SLA lapses (rep, admin)",
    responses=_ERRORS,
)
def post_accept(lead_id: int, session: SessionDep, principal: StaffDep) -> LeadStateOut:
    """Accept the lead: 403 if it is someone else's, 409 if it is no longer with a rep."""
    who = _acting(session, principal)
    assignment = accept(session, lead_id=lead_id, who=who, now=utcnow())
    return _state(session, assignment.lead_id)


@router.post(
    "/reps/me/leads/{lead_id}/reassign",
    response_model=LeadStateOut,
    summary="Hand a lead on to a named rep, or the next matching one (rep, their manager, admin)",
    responses=_ERRORS,
)
def post_reassign(
    lead_id: int,
    body: ReassignIn,
    resources: ResourcesDep,
    session: SessionDep,
    principal: StaffDep,
    tasks: BackgroundTasks,
) -> LeadStateOut:
    """Re-assign the lead; it is queued when no matching rep can take it now."""
    who = _acting(session, principal)
    target = find_rep_by_email(session, email=body.to_rep_email) if body.to_rep_email else None
    routed = reassign(
        session,
        lead_id=lead_id,
        who=who,
        to_rep_id=target.id if target else None,
        reason=body.reason,
        rules=resources.routing_rules(),
        now=utcnow(),
    )
    _after_commit(tasks, resources, [routed])
    return _state(session, routed.lead_id)


@router.post(
    "/reps/me/leads/{lead_id}/disposition",
    response_model=LeadStateOut,
    summary="Record an outcome: qualified, won, lost (with a reason) or nurture (rep, admin)",
    responses=_ERRORS,
)
def post_disposition(
    lead_id: int,
    body: DispositionIn,
    resources: ResourcesDep,
    session: SessionDep,
    principal: StaffDep,
    tasks: BackgroundTasks,
) -> LeadStateOut:
    """Dispose of the lead; won, lost and nurture free the rep's capacity and drain the queue."""
    who = _acting(session, principal)
    drained = dispose(
        session,
        lead_id=lead_id,
        who=who,
        outcome=body.outcome,
        reason=body.reason,
        rules=resources.routing_rules(),
        now=utcnow(),
    )
    _after_commit(tasks, resources, drained)
    return _state(session, lead_id)


@router.put(
    "/reps/me/availability",
    response_model=AvailabilityOut,
    summary="Go on or off for new leads; coming on drains the queue to you (rep, admin)",
    responses=_ERRORS,
)
def put_availability(
    body: AvailabilityIn,
    resources: ResourcesDep,
    session: SessionDep,
    principal: StaffDep,
    tasks: BackgroundTasks,
) -> AvailabilityOut:
    """Set the caller's availability; return the queued leads it brought them."""
    rep = _my_rep(session, principal)
    drained = set_availability(
        session,
        rep_id=rep.id,
        available=body.available,
        rules=resources.routing_rules(),
        now=utcnow(),
        actor=_acting(session, principal).actor,
    )
    _after_commit(tasks, resources, drained)
    offered = [r.lead_id for r in drained if r.action == "assigned" and r.rep_id == rep.id]
    return AvailabilityOut(rep=RepOut.model_validate(rep), offered_lead_ids=offered)


@router.get(
    "/reps/me/queue",
    response_model=list[QueuedLeadOut],
    summary="Queued leads of the segments the caller sells to, oldest first (rep, admin)",
    responses=_ERRORS,
)
def get_my_queue(session: SessionDep, principal: StaffDep) -> list[QueuedLeadOut]:
    """List the leads waiting for a rep of the caller's segments, with why each waits."""
    rep = _my_rep(session, principal)
    return [QueuedLeadOut.model_validate(q) for q in rep_queue(session, rep_id=rep.id)]


@router.get(
    "/reps/me/team",
    response_model=TeamOut,
    summary="A manager's team: live leads with SLA status, the queue, recent misses (manager)",
    responses=_ERRORS,
)
def get_my_team(session: SessionDep, principal: StaffDep) -> TeamOut:
    """Show the caller's team; 403 unless the caller's rep is a manager."""
    manager = require_manager(session, rep_id=_my_rep(session, principal).id)
    return TeamOut.model_validate(team_view(session, manager=manager, now=utcnow()))


@router.get(
    "/leads/{lead_id}/routing",
    response_model=RoutingHistoryOut,
    summary="A lead's routing history: decisions and every step, who did it and why "
    "(admin, the rep holding it, their manager)",
    responses=_ERRORS,
)
def get_routing_history(
    lead_id: int, session: SessionDep, principal: StaffDep
) -> RoutingHistoryOut:
    """Return the lead's decisions, audited steps and assignments, oldest first."""
    who = _acting(session, principal)
    history = routing_history(session, lead_id=lead_id, who=who, now=utcnow())
    return RoutingHistoryOut.model_validate(history)
