"""`clinch simulate routing`: the real routing over a simulated day, and checks that can fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clinch.cli import app
from clinch.routing_simulation import load_rules, run_routing_simulation
from clinch.routing_world import WorldSpec, plan_availability, plan_leads, plan_reps

KEYS = {
    "unassigned_with_capacity",
    "double_assignments",
    "sla_misses",
    "sla_reassigned_late",
    "time_to_assign_s",
    "per_rep",
    "leads",
    "assigned",
    "queued_at_end",
    "nurture",
    "disqualified",
    "beat_seconds",
    "wall_seconds",
}
REP_KEYS = {"rep", "offered", "accepted", "missed", "closed", "max_open", "capacity"}


def _figures(home: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["simulate", "routing", *args, "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    figures: dict[str, Any] = json.loads(result.stdout)
    # A throwaway store: the home store is never made.
    assert not home.exists()
    return figures


def test_the_command_prints_every_figure_and_keeps_the_invariants(home: Path) -> None:
    figures = _figures(home, "--leads", "40", "--reps", "2", "--days", "1", "--beat-seconds", "300")
    assert set(figures) >= KEYS
    assert (figures["leads"], figures["beat_seconds"]) == (40, 300)
    assert figures["unassigned_with_capacity"] == 0
    assert figures["double_assignments"] == 0
    assert figures["sla_reassigned_late"] == 0
    assert [set(r) for r in figures["per_rep"]] == [REP_KEYS, REP_KEYS]
    assert set(figures["time_to_assign_s"]) == {"p50", "p95"}


@pytest.mark.slow  # a simulated day of 400 leads
def test_a_simulated_day_assigns_leads_reassigns_misses_and_keeps_the_invariants(
    home: Path,
) -> None:
    figures = _figures(home, "--leads", "400", "--reps", "4", "--days", "1", "--seed", "4")
    assert figures["unassigned_with_capacity"] == 0
    assert figures["double_assignments"] == 0
    assert figures["sla_reassigned_late"] == 0
    assert figures["assigned"] > 10
    assert figures["nurture"] > figures["assigned"]
    assert figures["disqualified"] > 0
    # Some offers lapse, and their leads go to another rep (at once, or from the queue).
    assert figures["sla_misses"] > 0
    assert figures["sla_reoffered"] > 0
    per_rep = figures["per_rep"]
    assert len(per_rep) == 4
    assert all(r["max_open"] <= r["capacity"] for r in per_rep)
    assert sum(r["offered"] for r in per_rep) >= figures["assigned"]
    assert sum(r["missed"] for r in per_rep) == figures["sla_misses"]


def test_the_checks_catch_a_queue_that_is_never_drained() -> None:
    # Without the beat's drain, leads queued overnight wait though reps come on shift.
    figures = run_routing_simulation(
        leads=200, reps=3, days=1, seed=3, beat_seconds=120, drain=False
    )
    assert figures["unassigned_with_capacity"] > 0


@pytest.mark.slow  # every tick runs the sweep and the drain
def test_skipping_ticks_that_can_do_nothing_changes_no_figure() -> None:
    quick = run_routing_simulation(leads=150, reps=3, days=1, seed=3, beat_seconds=120)
    full = run_routing_simulation(
        leads=150, reps=3, days=1, seed=3, beat_seconds=120, skip_idle=False
    )
    # The run has lapsed offers, leads that waited in the queue, and merged chat visitors.
    assert quick["sla_misses"] > 0
    assert quick["time_to_assign_s"]["p50"] > 0
    assert quick["chat_visitors_merged"] > 0
    quick.pop("wall_seconds")
    full.pop("wall_seconds")
    assert quick == full


def test_the_world_is_the_same_for_the_same_seed_and_fits_the_rules() -> None:
    rules = load_rules().rules
    spec = WorldSpec(leads=200, reps=8, days=7, seed=11)
    reps = plan_reps(spec, rules)
    assert plan_reps(spec, rules) == reps
    assert plan_leads(spec, rules) == plan_leads(spec, rules)
    assert plan_leads(spec, rules) != plan_leads(WorldSpec(200, 8, 7, seed=12), rules)
    names = {s.name for s in rules.segments}
    assert {seg for r in reps for seg in r.segments} == names
    assert {r.territory for r in reps} == set(rules.territories)
    assert len({r.timezone for r in reps}) == 8
    assert any(r.is_manager for r in reps)
    leads = plan_leads(spec, rules)
    assert all(spec.start <= p.at < spec.end for p in leads)
    assert [p.at for p in leads] == sorted(p.at for p in leads)
    breaks = plan_availability(spec, reps)
    assert breaks
    assert sum(c.available for c in breaks) == sum(not c.available for c in breaks)
