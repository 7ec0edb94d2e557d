"""The lead simulator: seeded, valid for the real intake, and carrying a learnable signal."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leads.event_rules import check_event
from leads.intake import ingest_events
from leads.models import Event, Lead
from leads.simulator import simulate

END = datetime(2026, 11, 1, tzinfo=UTC)


def test_same_seed_same_funnel_other_seed_other_funnel() -> None:
    first = [(lead, [e.event_id for e in ev]) for lead, ev in simulate(leads=50, seed=3, end=END)]
    again = [(lead, [e.event_id for e in ev]) for lead, ev in simulate(leads=50, seed=3, end=END)]
    other = [(lead, [e.event_id for e in ev]) for lead, ev in simulate(leads=50, seed=4, end=END)]
    assert first == again
    assert first != other


def test_every_event_passes_the_intake_rules_and_is_in_time_order() -> None:
    for _, events in simulate(leads=300, seed=1, end=END):
        times = [e.occurred_at for e in events]
        assert times == sorted(times)
        for event in events:
            check_event(event, received_at=END)


def test_purchases_come_only_from_converting_leads_and_carry_money() -> None:
    buyers = 0
    for lead, events in simulate(leads=2000, seed=2, end=END):
        purchases = [e for e in events if e.type == "purchase"]
        if purchases:
            buyers += 1
            assert lead.converted
            assert purchases[0].amount is not None
            assert purchases[0].amount > 0
            assert purchases[0].currency == "USD"
    assert 0.03 < buyers / 2000 < 0.3


def test_behaviour_carries_the_hidden_propensity() -> None:
    """Buyers view pricing more often: a model has something real to learn."""
    rates: dict[bool, list[int]] = {True: [], False: []}
    for lead, events in simulate(leads=3000, seed=5, end=END):
        rates[lead.converted].append(sum(e.type == "pricing_view" for e in events))
    mean = {k: sum(v) / len(v) for k, v in rates.items()}
    assert mean[True] > 1.5 * mean[False]


def test_simulated_events_go_through_the_real_intake(sessions: sessionmaker[Session]) -> None:
    simulated = list(simulate(leads=120, seed=11, end=END))
    batch = [e for _, events in simulated for e in events]
    with sessions() as session:
        result = ingest_events(session, batch=batch, received_at=END)
        session.commit()
        statuses = {o.status for o in result.outcomes}
        stored_events = session.scalar(select(func.count()).select_from(Event))
        stored_leads = session.scalar(select(func.count()).select_from(Lead))
    assert statuses == {"accepted"}
    assert stored_events == len(batch)
    # An anonymous visitor who signs up is merged into one lead, never left as two.
    assert stored_leads == len(simulated)
