"""Training rows of many simulated leads, built on every core and cached under CLINCH_HOME.

A million leads through the real intake would take hours here, so the rows come from
`simulated_record` (what the store would hold; a test holds the two equal) and the same
`observe_lead` and features that `clinch train` uses.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from leads.simulated_records import simulated_record
from leads.simulator import simulate
from scoring.csv_import import TrainingTable
from scoring.features import FEATURES_VERSION
from scoring.lead_dataset import feature_frame, observe_lead, table_from_frame

END = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 365
HORIZON_DAYS = 30
OBSERVE_DAYS = 7
CHUNK = 25_000
_LABEL, _AT = "__label__", "__observed_at__"


@dataclass(frozen=True)
class LeadMatrix:
    """The rows of simulated leads as a training table, and how long building them took."""

    table: TrainingTable
    build_s: float
    cached: bool


def _chunk(args: tuple[int, int]) -> pd.DataFrame:
    index, seed = args
    rows = []
    for number, (_lead, events) in enumerate(simulate(leads=CHUNK, seed=seed, end=END, days=DAYS)):
        record = simulated_record(index * CHUNK + number, events, as_of=END)
        row = observe_lead(record, horizon_days=HORIZON_DAYS, observe_days=OBSERVE_DAYS, now=END)
        if row is not None:
            rows.append(row)
    frame = feature_frame([r.features for r in rows])
    frame[_LABEL] = np.array([r.label for r in rows], dtype=np.int8)
    frame[_AT] = pd.to_datetime([r.observed_at for r in rows], utc=True)
    return frame


def _cache_file(home: Path, rows: int, seed: int) -> Path:
    key = hashlib.sha256(f"{rows}-{seed}-{FEATURES_VERSION}-{CHUNK}-{DAYS}".encode()).hexdigest()
    return home / "bench" / f"lead-rows-{rows}-{key[:12]}.parquet"


def _build(rows: int, seed: int, console: Console) -> pd.DataFrame:
    frames: list[pd.DataFrame] = []
    count, index = 0, 0
    # fork: the workers inherit the imports; nothing here has started a thread pool yet.
    with multiprocessing.get_context("fork").Pool(max(1, multiprocessing.cpu_count())) as pool:
        while count < rows:
            batch = [(index + i, seed * 100_003 + index + i) for i in range(4)]
            for frame in pool.map(_chunk, batch):
                frames.append(frame)
                count += len(frame)
            index += len(batch)
            console.print(f"  simulated leads: {count:,} observable rows of {rows:,}")
    return pd.concat(frames, ignore_index=True).head(rows)


def lead_matrix(*, home: Path, rows: int, seed: int, console: Console) -> LeadMatrix:
    """Return `rows` training rows of simulated leads, from the cache when built before."""
    cache = _cache_file(home, rows, seed)
    started = time.perf_counter()
    cached = cache.exists()
    if cached:
        frame = pd.read_parquet(cache)
    else:
        frame = _build(rows, seed, console)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        frame.to_parquet(partial)
        partial.replace(cache)
    labels, observed = frame.pop(_LABEL).to_numpy(), frame.pop(_AT)
    for column in frame.columns:
        if frame[column].dtype != np.float64:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    table = table_from_frame(
        frame, labels=labels, observed_at=pd.DatetimeIndex(observed), horizon_days=HORIZON_DAYS
    )
    return LeadMatrix(table=table, build_s=time.perf_counter() - started, cached=cached)
