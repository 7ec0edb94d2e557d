"""`clinch train`, `clinch score` and `clinch models`: lead scoring from a CSV or the store."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from clinch.cli_output import print_json
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads.errors import ClinchError
from leads.snapshots import load_snapshots
from scoring.csv_import import TrainingTable, load_training_table, read_lead_csv
from scoring.errors import InvalidTrainingData, PromotionRefused
from scoring.features import FEATURES_VERSION
from scoring.lead_dataset import build_store_dataset
from scoring.registry import ModelRegistry, PromotionDecision
from scoring.report import write_report
from scoring.scorer import Bands, Scorer, reason_texts
from scoring.training import TrainedModel, train

models_app = typer.Typer(help="List, promote and roll back scoring models.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
# Beside a store-trained model: the feature code version and the label window it was built with.
SOURCE_FILE = "training_source.json"


def _registry() -> ModelRegistry:
    return ModelRegistry(get_settings().resolved_home / "models" / "scoring")


def _fail(error: ClinchError | OSError) -> typer.Exit:
    message = error.message if isinstance(error, ClinchError) else str(error)
    err.print(f"[red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(1)


def train_command(
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Lead export with one row per lead (omit: the lead store)"),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Outcome column of the CSV: 0/1, yes/no or true/false")
    ] = None,
    exclude: Annotated[
        str, typer.Option(help="Comma-separated columns or globs to leave out")
    ] = "",
    time_col: Annotated[
        str | None, typer.Option(help="Date column for a time-ordered split")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (sniffed if omitted)")
    ] = None,
    horizon_days: Annotated[
        int, typer.Option(help="Store: a purchase within this many days is the outcome", min=1)
    ] = 30,
    observe_days: Annotated[
        int, typer.Option(help="Store: observe each lead this many days after first touch", min=0)
    ] = 7,
    now: Annotated[
        str | None,
        typer.Option(
            help="Store: train as of this ISO time (UTC if no offset), for data ending in the past"
        ),
    ] = None,
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing when a model is already current")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON")] = False,
) -> None:
    """Train a scoring model on a CSV or the lead store, register it, promote it if better."""
    if if_missing and (current := _registry().current_name()) is not None:
        console.print(f"model {current} is current: not training (--if-missing)")
        return
    try:
        if csv is None:
            if target is not None:
                raise InvalidTrainingData("--target names a CSV column: pass --csv with it")
            result = _train_from_store(
                horizon_days=horizon_days, observe_days=observe_days, now=parse_now(now)
            )
        else:
            if target is None:
                raise InvalidTrainingData("--csv needs --target: the outcome column to predict")
            if now is not None:
                raise InvalidTrainingData("--now applies to the lead store: drop it with --csv")
            result = _train_from_csv(csv, target, exclude, time_col, delimiter)
    except (ClinchError, OSError) as error:
        raise _fail(error) from None
    if as_json:
        print_json(console, result)
    else:
        _print_training(result)


def _train_from_csv(
    csv: Path, target: str, exclude: str, time_col: str | None, delimiter: str | None
) -> dict[str, object]:
    options = {"--exclude": exclude, "--time-col": time_col, "--delimiter": delimiter}
    argv = ["clinch", "train", "--csv", str(csv), "--target", target]
    command = shlex.join(argv + [part for k, v in options.items() if v for part in (k, v)])
    table = load_training_table(
        csv, target=target, exclude=exclude.split(","), time_col=time_col, delimiter=delimiter
    )
    return _train_and_register(table, _registry(), command=command)


def parse_now(text: str | None) -> datetime:
    """Return the training time: now, or a past ISO time given on the command line."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTrainingData(
            f"--now {text!r} is not an ISO time: use e.g. 2026-10-01 or 2026-10-01T12:00:00+02:00"
        ) from None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if at > datetime.now(UTC):
        raise InvalidTrainingData(f"--now {text} is in the future: outcomes are not known yet")
    return at.astimezone(UTC)


def _train_from_store(*, horizon_days: int, observe_days: int, now: datetime) -> dict[str, object]:
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            table = build_store_dataset(
                load_snapshots(session, as_of=now),
                horizon_days=horizon_days,
                observe_days=observe_days,
                now=now,
            )
    finally:
        engine.dispose()
    command = shlex.join(
        [
            "clinch",
            "train",
            "--horizon-days",
            str(horizon_days),
            "--observe-days",
            str(observe_days),
            "--now",
            now.isoformat(timespec="seconds"),
        ]
    )
    source = {
        "source": "lead store",
        "features_version": FEATURES_VERSION,
        "horizon_days": horizon_days,
        "observe_days": observe_days,
        "now": now.isoformat(timespec="seconds"),
    }
    return _train_and_register(table, _registry(), command=command, source=source)


def _train_and_register(
    table: TrainingTable,
    registry: ModelRegistry,
    *,
    command: str,
    source: dict[str, object] | None = None,
) -> dict[str, object]:
    model = train(table)

    def extras(folder: Path) -> None:
        _write_report(model, folder)
        if source is not None:
            (folder / SOURCE_FILE).write_text(json.dumps(source, indent=2))

    version = registry.register(model, command=command, write_extras=extras)
    decision = _promote_if_better(registry, version.name)
    return {
        "version": version.name,
        "promoted": decision.promoted,
        "reason": decision.reason,
        "metrics": model.metrics.to_dict(),
        "baseline": model.baseline.to_dict(),
        "data_window": model.data_window,
        "split": model.split,
        "calibration": model.fitted.calibrator.method,
        "dropped_columns": [{"column": c, "reason": r} for c, r in table.dropped],
        "report": str(registry.root / version.name / "report.html"),
        **({"training_source": source} if source is not None else {}),
    }


def _write_report(model: TrainedModel, folder: Path) -> None:
    write_report(model, folder)


def _promote_if_better(registry: ModelRegistry, version: str) -> PromotionDecision:
    try:
        return registry.promote(version)
    except PromotionRefused as refused:
        return PromotionDecision(version, False, refused.message)


def _print_training(result: dict[str, object]) -> None:
    table = Table("metric", "model", "baseline")
    model, base = result["metrics"], result["baseline"]
    assert isinstance(model, dict)
    assert isinstance(base, dict)
    for key in ("roc_auc", "pr_auc", "brier", "log_loss", "ece", "lift_top_decile"):
        table.add_row(key, f"{model[key]:.4f}", f"{base[key]:.4f}")
    console.print(table)
    state = "promoted" if result["promoted"] else "not promoted"
    console.print(f"{result['version']}: {state} ({result['reason']})", soft_wrap=True)
    console.print(f"report: {result['report']}", soft_wrap=True)


def score_command(
    csv: Annotated[Path, typer.Option("--csv", help="Leads to score")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scored CSV")],
    version: Annotated[str | None, typer.Option(help="Model version (default: current)")] = None,
    hot: Annotated[float, typer.Option(help="Probability at or above which a lead is hot")] = 0.5,
    warm: Annotated[float, typer.Option(help="Probability at or above which a lead is warm")] = 0.2,
    reasons: Annotated[bool, typer.Option(help="Add the top reasons per lead")] = True,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (sniffed if omitted)")
    ] = None,
) -> None:
    """Score a CSV of leads and write probability, band and reasons columns."""
    registry = _registry()
    try:
        scorer = Scorer.from_registry(registry, version, bands=Bands(hot=hot, warm=warm))
        model = scorer.model
        frame = read_lead_csv(csv, delimiter=delimiter)
        absent = scorer.missing_columns(list(frame.columns))
        if absent:
            err.print(f"warning: scored as missing: {', '.join(absent)}", soft_wrap=True)
        scores = scorer.score_batch(frame, reasons=reasons)
        scored = frame.assign(
            probability=[round(s.probability, 5) for s in scores],
            band=[s.band for s in scores],
            model_version=model.version,
        )
        if reasons:
            scored["reasons"] = pd.Series([reason_texts(s.reasons) for s in scores])
        out.parent.mkdir(parents=True, exist_ok=True)
        scored.to_csv(out, index=False)
    except (ClinchError, OSError) as error:
        raise _fail(error) from None
    console.print(f"scored {len(scores)} leads with {model.version} → {out}", soft_wrap=True)


@models_app.command("list")
def list_models(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List registered model versions, the current one marked."""
    versions = _registry().list_versions()
    if as_json:
        print_json(console, [vars(v) for v in versions])
        return
    table = Table("version", "created", "ROC AUC", "Brier", "holdout", "current")
    for v in versions:
        current = "*" if v.is_current else ""
        table.add_row(
            v.name, v.created, f"{v.roc_auc:.4f}", f"{v.brier:.4f}", v.holdout_id, current
        )
    console.print(table)


@models_app.command("promote")
def promote(
    version: Annotated[str, typer.Argument(help="Version to make current")],
    force: Annotated[
        bool, typer.Option(help="Promote even if it does not beat the current")
    ] = False,
) -> None:
    """Make a version current if it beats the current one on the same holdout."""
    try:
        decision = _registry().promote(version, force=force)
    except ClinchError as error:
        raise _fail(error) from None
    state = "promoted" if decision.promoted else "unchanged"
    console.print(f"{decision.version}: {state} ({decision.reason})", soft_wrap=True)


@models_app.command("rollback")
def rollback() -> None:
    """Make the previously promoted version current again."""
    try:
        decision = _registry().rollback()
    except ClinchError as error:
        raise _fail(error) from None
    console.print(f"current is now {decision.version} ({decision.reason})", soft_wrap=True)
