"""Simulated days of nurture for the demo: the real engine and delivery on a simulated clock.

Leads the router sent to nurture are enrolled `days` ago; then, hour by simulated hour, the real
tick runs the due steps, the real delivery writes the mail to the outbox folder, and simulated
prospects answer the mail they got through the same paths a person's actions take: a click is an
`email_clicked` event through the intake, a purchase is a signed `checkout.session.completed`
event recorded by checkout, an unsubscribe withdraws consent, a reply is `email_replied`.
Exits are settled right after, as the API's task would.

How simulated people answer is a model, not data, and it is stated here: a click's chance grows
with the lead's calibrated score; the A/B arms of the demo's offer test differ on purpose (the
question subject line, template `offer-b`, draws clicks and purchases 1.8 times as often), so the
marketer's page has a winner to find once enough leads have passed the split.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checkout.catalog import Catalog
from checkout.links import sign_checkout
from checkout.payments import IgnoredEvent, completed_checkout_body, parse_payment_event, to_minor
from checkout.purchases import listed_price, record_purchase
from clinch.nurture_delivery import NurtureMailClients, deliver_sends
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Lead, Score
from leads.nurture_models import NurtureSend
from nurture.config import NurtureConfig
from nurture.enrollments import enroll_routed, routed_to_nurture
from nurture.exits import exit_for_leads
from nurture.links import Click
from nurture.personalisation import plan_fields
from nurture.rendering import Fields
from nurture.tick import run_tick
from nurture.tracking import record_click, unsubscribe

STEP = timedelta(hours=1)
CLICK_BASE = 0.10
BUY_AFTER_CLICK = 0.12
REPLY = 0.01
UNSUBSCRIBE = 0.006
# The demo's A/B test: the arm the simulated prospects prefer, and by how much.
FAVOURED_TEMPLATE = "offer-b"
FAVOUR = 1.8
# Where the demo's tracked links lead (the click's target matters only to the redirect).
SITE = "https://quillstack.example/pricing"


@dataclass(frozen=True)
class SimulationResult:
    """What the simulated weeks did."""

    enrolled: int
    ticks: int
    steps: int
    sent: int
    answers: dict[str, int]
    ended: int


@dataclass
class _World:
    sessions: sessionmaker[Session]
    mail: NurtureMailClients
    config: NurtureConfig
    catalog: Catalog | None
    signing_key: str
    rng: random.Random
    answers: Counter[str]


def simulate_nurture(
    sessions: sessionmaker[Session],
    *,
    mail: NurtureMailClients,
    config: NurtureConfig,
    catalog: Catalog | None,
    signing_key: str,
    now: datetime,
    days: int,
    seed: int,
) -> SimulationResult:
    """Enroll routed leads `days` before `now` and run the engine hour by hour up to `now`."""
    start = now - timedelta(days=days)
    with unit_of_work(sessions) as session:
        counts = enroll_routed(session, lead_ids=routed_to_nurture(session), at=start)
    world = _World(sessions, mail, config, catalog, signing_key, random.Random(seed), Counter())
    clock, ticks, steps, sent, ended = start, 0, 0, 0, 0
    while clock <= now:
        result = run_tick(sessions, config=config, now=clock)
        ticks, steps = ticks + 1, steps + result.steps
        if result.send_ids:
            recorded = deliver_sends(mail, result.send_ids, clock=functools.partial(_same, clock))
            delivered = [r.send_id for r in recorded if r.status == "sent"]
            sent += len(delivered)
            ended += _answer(world, delivered, at=clock, latest=now)
        clock += STEP
    return SimulationResult(
        enrolled=counts.enrolled,
        ticks=ticks,
        steps=steps,
        sent=sent,
        answers=dict(world.answers),
        ended=ended,
    )


def _same(moment: datetime) -> datetime:
    return moment


def _answer(world: _World, send_ids: Iterable[int], *, at: datetime, latest: datetime) -> int:
    """Let each recipient act on the mail it got; return how many enrollments that ended."""
    with world.sessions() as session:
        rows = session.execute(
            select(NurtureSend.id, NurtureSend.lead_id, NurtureSend.template, Lead.team_size)
            .join(Lead, Lead.id == NurtureSend.lead_id)
            .where(NurtureSend.id.in_(list(send_ids)))
        ).all()
        scores = _scores(session, [r.lead_id for r in rows])
    touched: set[int] = set()
    with unit_of_work(world.sessions) as session:
        for send_id, lead_id, template, team_size in rows:
            when = min(latest, at + timedelta(minutes=world.rng.randint(5, 55)))
            kind = _reaction(world.rng, template=template, score=scores.get(lead_id, 0.0))
            if kind is None:
                continue
            world.answers[kind] += 1
            touched.add(lead_id)
            if kind == "unsubscribe":
                unsubscribe(session, send_id=send_id, now=when)
            elif kind == "email_replied":
                reply = EventIn(
                    event_id=f"sim-reply-{send_id}", type=kind, occurred_at=when, lead_id=lead_id
                )
                ingest_events(session, batch=[reply], received_at=when, actor="simulator")
            else:
                record_click(session, click=Click(send_id=send_id, url=SITE), now=when)
                lift = FAVOUR if template == FAVOURED_TEMPLATE else 1.0
                if world.rng.random() < BUY_AFTER_CLICK * lift and _buy(
                    world, session, lead_id=lead_id, team_size=team_size, at=when, latest=latest
                ):
                    world.answers["purchase"] += 1
    with unit_of_work(world.sessions) as session:
        done = exit_for_leads(
            session, lead_ids=touched, at=at, default_timezone=world.config.default_timezone
        )
    return len(done)


def _reaction(rng: random.Random, *, template: str, score: float) -> str | None:
    """Return what a simulated recipient does with one email, if anything."""
    roll = rng.random()
    if roll < UNSUBSCRIBE:
        return "unsubscribe"
    if roll < UNSUBSCRIBE + REPLY:
        return "email_replied"
    lift = FAVOUR if template == FAVOURED_TEMPLATE else 1.0
    if roll < UNSUBSCRIBE + REPLY + CLICK_BASE * lift * (1 + 2 * score):
        return "email_clicked"
    return None


def _scores(session: Session, lead_ids: list[int]) -> dict[int, float]:
    found: dict[int, float] = {}
    query = (
        select(Score.lead_id, Score.probability)
        .where(Score.lead_id.in_(lead_ids))
        .order_by(Score.scored_at)
    )
    for lead_id, probability in session.execute(query):
        found[lead_id] = probability  # the newest wins
    return found


def _buy(
    world: _World,
    session: Session,
    *,
    lead_id: int,
    team_size: str | None,
    at: datetime,
    latest: datetime,
) -> bool:
    """Pay a checkout link for the lead's plan through checkout's own recording path."""
    if world.catalog is None:
        return False
    plan = plan_fields(world.catalog, team_size=team_size)
    plan_id = plan.get("id") if isinstance(plan, Fields) else None
    if not isinstance(plan_id, str) or world.catalog.plan(plan_id).price is None:
        return False  # a plan quoted by sales is not bought through checkout
    token = sign_checkout(
        world.signing_key, world.catalog, plan_id=plan_id, period="monthly", lead_id=lead_id
    )
    price = world.catalog.price_of(plan_id, "monthly")
    body = completed_checkout_body(
        event_id=f"evt_sim_{lead_id}",
        session_id=f"cs_sim_{lead_id}",
        amount_minor=to_minor(price, world.catalog.currency),
        currency=world.catalog.currency,
        customer_email=None,
        metadata={
            "lead_id": str(lead_id),
            "plan": plan_id,
            "period": "monthly",
            "quantity": "1",
            "checkout_token": token,
        },
        created=at,
    )
    event = parse_payment_event(body)
    if isinstance(event, IgnoredEvent):
        return False
    listed = listed_price(
        event, signing_key=world.signing_key, catalog=world.catalog, link_max_age_s=86400
    )
    record_purchase(session, event=event, price=listed, received_at=latest)
    return True
