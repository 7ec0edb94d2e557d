"""The training report written beside a model: report.html and PNG plots."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from scoring.training import TrainedModel

PLOTS = ("roc.png", "calibration.png", "gain.png", "importance.png")


def write_report(model: TrainedModel, folder: Path, *, title: str = "Lead scoring model") -> Path:
    """Write report.html and its plots into `folder` and return the HTML path."""
    y, p, base = model.holdout_target, model.holdout_probabilities, model.baseline_probabilities
    _plot_roc(folder / "roc.png", y, p, base)
    _plot_calibration(folder / "calibration.png", y, p)
    _plot_gain(folder / "gain.png", y, p, base)
    _plot_importance(folder / "importance.png", model.importance)
    path = folder / "report.html"
    path.write_text(_html(model, title))
    return path


def _figure() -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    return fig, ax


def _save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_roc(path: Path, y: np.ndarray, p: np.ndarray, base: np.ndarray) -> None:
    fig, ax = _figure()
    for label, probs in (("model", p), ("baseline", base)):
        fpr, tpr, _ = roc_curve(y, probs)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (holdout)")
    ax.legend()
    _save(fig, path)


def _plot_calibration(path: Path, y: np.ndarray, p: np.ndarray, bins: int = 10) -> None:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    used = [b for b in range(bins) if (which == b).any()]
    predicted = [float(p[which == b].mean()) for b in used]
    observed = [float(y[which == b].mean()) for b in used]
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.plot(predicted, observed, marker="o")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Calibration")
    _save(fig, path)


def _plot_gain(path: Path, y: np.ndarray, p: np.ndarray, base: np.ndarray) -> None:
    fig, ax = _figure()
    share = np.arange(1, len(y) + 1) / len(y)
    for label, probs in (("model", p), ("baseline", base)):
        found = np.cumsum(y[np.argsort(-probs, kind="stable")]) / max(1, int(y.sum()))
        ax.plot(share, found, label=label)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="share of leads contacted", ylabel="share of buyers found", title="Gain")
    ax.legend()
    _save(fig, path)


def _plot_importance(path: Path, importance: tuple[tuple[str, float], ...]) -> None:
    top = importance[:15][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * max(3, len(top)) + 1), dpi=100)
    ax.barh([name[:40] for name, _ in top], [gain for _, gain in top])
    ax.set(xlabel="total gain", title="Feature importance")
    _save(fig, path)


def _html(model: TrainedModel, title: str) -> str:
    rows = "".join(
        f"<tr><td>{name}</td><td>{a:.4f}</td><td>{b:.4f}</td></tr>"
        for name, a, b in _metric_rows(model)
    )
    window = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
        for k, v in {**model.data_window, **model.split}.items()
    )
    images = "".join(f'<img src="{name}" alt="{name[:-4]}">' for name in PLOTS)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{padding:.2em .8em;text-align:right}img{max-width:48%}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><h2>Holdout metrics</h2><table>"
        f"<tr><th>metric</th><th>model</th><th>baseline (logistic)</th></tr>{rows}</table>"
        f"<h2>Data</h2><ul>{window}<li>calibration: {model.fitted.calibrator.method}</li>"
        f"<li>boosting rounds: {model.fitted.rounds}</li></ul><h2>Plots</h2>{images}</body></html>"
    )


def _metric_rows(model: TrainedModel) -> list[tuple[str, float, float]]:
    a, b = model.metrics, model.baseline
    return [
        ("ROC AUC", a.roc_auc, b.roc_auc),
        ("PR AUC", a.pr_auc, b.pr_auc),
        ("Brier", a.brier, b.brier),
        ("log loss", a.log_loss, b.log_loss),
        ("ECE (10 bins)", a.ece, b.ece),
        ("lift, top decile", a.lift_top_decile, b.lift_top_decile),
    ]
