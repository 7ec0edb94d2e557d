"""Run the real routing (policy, assignment, queue, SLA sweep, rep actions) over a simulated week.

A throwaway SQLite store in a temporary folder (never the home store) gets the world's reps and
the rules; leads arrive through the real intake, are scored and routed; reps accept, close and
take breaks; a beat tick every --beat-seconds runs the SLA sweep and then the queue drain. The
clock is moved by the simulation: events are handled in time order.

\b
Figures (the first, second and fourth must be 0):
  unassigned_with_capacity  times, checked after every beat tick and every event, that a queued
                            lead could have been offered to a rep who can take it now (pick_rep
                            on fresh rep states with the queued row's want and exclusions; a rep
                            whose shift began after the last tick is not counted between ticks)
  double_assignments        people seen with more than one live (offered or accepted) assignment
                            at a check, or offered to reps at overlapping times (assignments
                            table, at the end)
  sla_misses                offers that lapsed (the sweep ended them as missed)
  sla_reassigned_late       misses handled (re-offered or queued) more than one beat interval
                            after their due time
  sla_reoffered             misses whose lead was offered to a rep again (at once or later)
  time_to_assign_s          p50 and p95 seconds from a lead's first "assign" decision to its
                            first offer, queue wait included
  per_rep                   offers, accepts, misses, closes, most open leads seen, and cap
  assigned                  leads offered to a rep at least once
  nurture / disqualified    leads put in nurture and never offered / disqualified
  queued_at_end             leads still waiting for a rep when the week ends
  chat_visitors_merged      leads back as unknown chat visitors who then gave their email
  late_accepts_refused      accepts that came after the offer had lapsed (refused)
  checks                    how many times the invariants were checked
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from clinch.routing_checks import outcomes, overlapping, per_rep, reoffered_misses, time_to_assign
from clinch.routing_events import Simulation, schedule_world
from clinch.routing_world import PlannedRep, WorldSpec, plan_reps, reps_file
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from leads.reps import find_rep_by_email, upsert_reps
from leads.reps_file import parse_reps
from routing.rules import parse_rules, read_rules_text, rules_version
from routing.service import LoadedRules

DEMO_RULES = Path(__file__).resolve().parents[1] / "demo" / "routing.yaml"


def _load_world(session: Session, sim_spec: WorldSpec, rules: LoadedRules) -> dict[int, PlannedRep]:
    planned = plan_reps(sim_spec, rules.rules)
    upsert_reps(session, reps=parse_reps(reps_file(planned), source="simulated reps"))
    return {find_rep_by_email(session, email=r.email).id: r for r in planned}


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # A throwaway store: nothing to keep if the machine stops mid-run.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def load_rules(path: Path = DEMO_RULES) -> LoadedRules:
    """Read and check a routing rules file."""
    text = read_rules_text(path)
    return LoadedRules(parse_rules(text, source=str(path)), rules_version(text))


def run_routing_simulation(
    *,
    leads: int,
    reps: int,
    days: int,
    seed: int = 7,
    beat_seconds: int = 30,
    rules: LoadedRules | None = None,
    drain: bool = True,
    skip_idle: bool = True,
    on_tick: Callable[[datetime], None] | None = None,
) -> dict[str, Any]:
    """Run the simulation in a temporary store and return its figures (see the module doc)."""
    started = time.perf_counter()
    loaded = rules or load_rules()
    spec = WorldSpec(leads=leads, reps=reps, days=days, seed=seed)
    with tempfile.TemporaryDirectory(prefix="clinch-simulate-routing-") as folder:
        url = f"sqlite:///{Path(folder) / 'routing.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        event.listen(engine, "connect", _fast_sqlite)
        try:
            with make_session_factory(engine)() as session:
                sim = Simulation(
                    session,
                    loaded,
                    spec,
                    _load_world(session, spec, loaded),
                    timedelta(seconds=beat_seconds),
                    drain=drain,
                    skip_idle=skip_idle,
                )
                session.commit()
                schedule_world(sim)
                sim.run(on_tick=on_tick)
                figures = _figures(sim, leads=leads, beat_seconds=beat_seconds)
                session.commit()
        finally:
            engine.dispose()
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _figures(sim: Simulation, *, leads: int, beat_seconds: int) -> dict[str, Any]:
    session, checks, tally = sim.session, sim.checks, sim.tally
    doubles = checks.doubly_assigned | overlapping(session, end=sim.spec.end)
    return {
        "unassigned_with_capacity": checks.unassigned_with_capacity,
        "double_assignments": len(doubles),
        "sla_misses": tally.misses,
        "sla_reassigned_late": tally.late,
        "sla_reoffered": reoffered_misses(session),
        "time_to_assign_s": time_to_assign(session),
        "per_rep": per_rep(
            session, max_open=checks.max_open, names={i: r.name for i, r in sim.reps.items()}
        ),
        "leads": leads,
        **outcomes(session),
        "chat_visitors_merged": sim.merges,
        "late_accepts_refused": tally.late_accepts_refused,
        "checks": checks.checks,
        "beat_seconds": beat_seconds,
    }
