"""Checks of a sequence's shape: targets exist, every step is reachable, no loop without a wait."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from nurture.definition import (
    BranchStep,
    EmailStep,
    ExitStep,
    GoalStep,
    Sequence,
    SplitStep,
    Step,
    WaitStep,
)


def successors(step: Step) -> tuple[str, ...]:
    """Return the ids a step can go to next (none for the end of the line)."""
    if isinstance(step, EmailStep | WaitStep):
        return (step.next,) if step.next else ()
    if isinstance(step, BranchStep):
        return (*(goto for _, goto in step.cases), step.otherwise)
    if isinstance(step, SplitStep):
        return tuple(v.goto for v in step.variants)
    assert isinstance(step, GoalStep | ExitStep)
    return ()


def shape_problems(sequence: Sequence, *, templates: Iterable[str] | None) -> list[str]:
    """Return every problem of the sequence's shape; `templates` None skips the template check."""
    problems = _duplicates(sequence)
    ids = [s.id for s in sequence.steps]
    for index, step in enumerate(sequence.steps):
        for target in successors(step):
            if target not in ids:
                where = f"steps[{index}] ({step.id})"
                near = _near(target, ids)
                problems.append(f"{where}: goes to unknown step {target!r}{near}")
    if templates is not None:
        known = sorted(set(templates))
        for index, step in enumerate(sequence.steps):
            if isinstance(step, EmailStep) and step.template not in known:
                problems.append(
                    f"steps[{index}] ({step.id}): unknown template {step.template!r}"
                    f"{_near(step.template, known)}"
                )
    if problems:
        return problems  # reachability and loops need every target to exist
    problems.extend(_unreachable(sequence))
    problems.extend(_loops_without_wait(sequence))
    return problems


def _duplicates(sequence: Sequence) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for step in sequence.steps:
        if step.id in seen:
            repeated.append(
                f"step id {step.id!r} is used twice; ids name steps, so make them unique"
            )
        seen.add(step.id)
    return repeated


def _near(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(known)})" if known else " (none are defined)"


def _unreachable(sequence: Sequence) -> list[str]:
    by_id = {s.id: s for s in sequence.steps}
    seen = {sequence.first}
    todo = [sequence.first]
    while todo:
        for target in successors(by_id[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return [
        f"step {s.id!r} can never be reached from the first step {sequence.first!r}: "
        "point a `next`, `goto` or `otherwise` at it, or delete it"
        for s in sequence.steps
        if s.id not in seen
    ]


def _loops_without_wait(sequence: Sequence) -> list[str]:
    """Return each loop made only of steps that run at once (an enrollment would spin forever)."""
    by_id = {s.id: s for s in sequence.steps if not isinstance(s, WaitStep)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []
    loops: list[str] = []

    def visit(step_id: str) -> None:
        state[step_id] = 1
        path.append(step_id)
        for target in successors(by_id[step_id]):
            if target not in by_id:
                continue  # a wait breaks the loop
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                loops.append(f"the loop {' → '.join(cycle)} has no wait: put a `wait` step in it")
            elif target not in state:
                visit(target)
        path.pop()
        state[step_id] = 2

    for step_id in by_id:
        if step_id not in state:
            visit(step_id)
    return loops
