"""`clinch nurture`: check and load sequences, see their versions, pause and resume them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from checkout.catalog import Catalog
from clinch.assistant_wiring import load_public_catalog
from clinch.cli_output import print_json
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.db import unit_of_work
from leads.errors import ClinchError, LeadNotFound
from leads.identity import EMAIL, find_lead, normalise_email
from leads.models import Lead
from nurture import sequences
from nurture.definition import (
    BranchStep,
    EmailStep,
    ExitStep,
    GoalStep,
    Sequence,
    SplitStep,
    Step,
    WaitStep,
    describe_wait,
)
from nurture.errors import InvalidSequence
from nurture.repository import template_names
from nurture.sequence_file import parse_sequence, read_sequence_text
from nurture.template_file import parse_template_library
from nurture.templates import save_templates

nurture_app = typer.Typer(
    help="Nurture sequences: check, load, versions, enrollments and sends.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
TEMPLATES_FILE = "templates.yaml"


def fail(exc: ClinchError) -> typer.Exit:
    """Print a domain error for a person and return the exit to raise."""
    err.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def nurture_session() -> Iterator[Session]:
    """Yield a session on the configured store that commits on success."""
    settings = get_settings()
    configure_process(settings)
    engine, factory = open_database(settings)
    try:
        with unit_of_work(factory) as session:
            yield session
    finally:
        engine.dispose()


def catalog_of(session: Session) -> Catalog | None:
    """Return the ingested pricing catalog, read beside this session's transaction."""
    found = load_public_catalog(
        sessionmaker(bind=session.get_bind()), company=get_settings().company_name
    )
    return found[0] if found else None


def lead_by_email(session: Session, email: str) -> Lead:
    """Return the lead known by this email address."""
    lead = find_lead(session, kind=EMAIL, value=normalise_email(email))
    if lead is None:
        raise LeadNotFound(f"no lead has email {email!r}")
    return lead


def sequence_files(path: Path) -> list[Path]:
    """Return the sequence files of a path: the file itself, or a folder's *.yaml and *.yml."""
    if path.is_dir():
        found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        return [p for p in found if p.name != TEMPLATES_FILE]
    return [path]


def step_line(step: Step) -> tuple[str, str, str]:
    """Return a step as (kind, what it does, where it goes) for a table."""
    if isinstance(step, EmailStep):
        return "email", step.template, step.next or "(end)"
    if isinstance(step, WaitStep):
        return "wait", describe_wait(step), step.next or "(end)"
    if isinstance(step, BranchStep):
        cases = "; ".join(f"{_condition_text(c)} → {goto}" for c, goto in step.cases)
        return "branch", cases, f"else {step.otherwise}"
    if isinstance(step, SplitStep):
        arms = ", ".join(f"{v.name} ({v.weight:g}) → {v.goto}" for v in step.variants)
        return "split", arms, ""
    if isinstance(step, GoalStep):
        return "goal", step.label, "(converted)"
    assert isinstance(step, ExitStep)
    return "exit", step.reason, "(end)"


def _condition_text(condition: object) -> str:
    parts = [f"{k}={v}" for k, v in vars(condition).items() if v is not None]
    return " ".join(parts)


def _print_steps(sequence: Sequence, *, title: str) -> None:
    table = Table("step", "kind", "does", "next", title=title)
    for step in sequence.steps:
        kind, does, after = step_line(step)
        table.add_row(step.id, kind, does, after)
    console.print(table)


@nurture_app.command("check")
def check_command(
    paths: Annotated[list[Path], typer.Argument(help="Sequence files or a folder of them")],
) -> None:
    """Check sequence files against the loaded template library, storing nothing."""
    with nurture_session() as session:
        names = template_names(session)
    problems = 0
    for path in [f for p in paths for f in sequence_files(p)]:
        try:
            parsed = parse_sequence(read_sequence_text(path), source=str(path), templates=names)
        except ClinchError as exc:
            err.print(f"[red]✗[/] {exc.message}", soft_wrap=True)
            problems += 1
            continue
        steps = len(parsed.sequence.steps)
        console.print(f"[green]✓[/] {path}: {parsed.sequence.key}, {steps} steps", soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@nurture_app.command("load")
def load_command(
    path: Annotated[Path, typer.Argument(help="A sequence file, or a folder (e.g. demo/nurture)")],
    actor: Annotated[str, typer.Option(help="Who made the change, for the audit log")] = "cli",
) -> None:
    """Load a folder's template library and sequences (or one file): all of it or nothing."""
    at = datetime.now(UTC)
    saved: list[sequences.SavedVersion] = []
    try:
        with nurture_session() as session:
            templates_file = path / TEMPLATES_FILE if path.is_dir() else None
            if templates_file is not None and templates_file.is_file():
                _load_templates(session, templates_file, actor=actor, at=at)
            files = sequence_files(path)
            if not files:
                raise InvalidSequence(str(path), ["no *.yaml sequence files in this folder"])
            for file in files:
                text = read_sequence_text(file)
                data = _yaml(text, source=str(file))
                parsed = sequences.check(session, data, source=str(file))
                saved.append(
                    sequences.save_sequence(session, parsed, source=str(file), actor=actor, at=at)
                )
    except ClinchError as exc:
        raise fail(exc) from None
    for outcome in saved:
        state = "new version" if outcome.created else "unchanged, still version"
        console.print(f"{outcome.key}: {state} {outcome.version}", soft_wrap=True)


def _yaml(text: str, *, source: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidSequence(source, [f"not YAML or JSON: {exc}"]) from exc


def _load_templates(session: Session, path: Path, *, actor: str, at: datetime) -> None:
    text = path.read_text(encoding="utf-8")
    library = parse_template_library(text, source=str(path), catalog=catalog_of(session))
    changed = save_templates(session, library, actor=actor, at=at)
    console.print(f"{path}: {len(library)} templates ({changed} changed)", soft_wrap=True)


@nurture_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the sequences with their latest version and who is in them."""
    with nurture_session() as session:
        rows = sequences.summaries(session)
    if as_json:
        print_json(console, [vars(r) for r in rows])
        return
    table = Table("sequence", "name", "version", "steps", "in it now", "state")
    for r in rows:
        state = "active" if r.active else "paused"
        table.add_row(
            r.key, r.name, str(r.latest_version), str(r.steps), str(r.active_enrollments), state
        )
    console.print(table)


@nurture_app.command("show")
def show_command(
    key: Annotated[str, typer.Argument(help="The sequence's key")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a sequence's steps (the latest version unless --version)."""
    try:
        with nurture_session() as session:
            if as_json:
                print_json(console, sequences.definition_of(session, key=key, version=version))
                return
            number, sequence = sequences.load_version(session, key=key, version=version)
    except ClinchError as exc:
        raise fail(exc) from None
    _print_steps(sequence, title=f"{sequence.key} v{number}: {sequence.name}")
    exits = ", ".join(sorted(sequence.exit_on))
    console.print(f"goal: {sequence.goal}; exits on: {exits}", soft_wrap=True)


@nurture_app.command("versions")
def versions_command(key: Annotated[str, typer.Argument(help="The sequence's key")]) -> None:
    """List a sequence's versions, newest first."""
    try:
        with nurture_session() as session:
            rows = sequences.versions(session, key=key)
    except ClinchError as exc:
        raise fail(exc) from None
    table = Table("version", "saved", "by", "from", "hash", title=key)
    for v in rows:
        saved = f"{v.created_at:%Y-%m-%d %H:%M}"
        table.add_row(str(v.version), saved, v.created_by, v.source, v.content_hash[:12])
    console.print(table)


@nurture_app.command("pause")
def pause_command(key: Annotated[str, typer.Argument(help="The sequence's key")]) -> None:
    """Stop enrolling new leads in a sequence; leads already in it go on."""
    _set_active(key, active=False)


@nurture_app.command("resume")
def resume_command(key: Annotated[str, typer.Argument(help="The sequence's key")]) -> None:
    """Enroll new leads in a paused sequence again."""
    _set_active(key, active=True)


def _set_active(key: str, *, active: bool) -> None:
    try:
        with nurture_session() as session:
            sequences.set_active(session, key=key, active=active, actor="cli", at=datetime.now(UTC))
    except ClinchError as exc:
        raise fail(exc) from None
    console.print(f"{key}: {'active' if active else 'paused'}")
