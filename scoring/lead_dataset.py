"""A training table from the lead store: features at first touch + N days, purchase label after.

Each lead whose first touch is at least `observe_days + horizon_days` old is observed once, at
t = first touch + `observe_days`: its features are `compute_features` over events up to t (the
code online scoring runs), its label is a purchase in (t, t + `horizon_days`]. Leads that bought
by t are left out (nothing left to predict). The time column is t, so splits are time-ordered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from leads.models import as_utc
from leads.snapshots import LeadRecord
from scoring.csv_import import TrainingTable, levels_of
from scoring.errors import InvalidTrainingData
from scoring.feature_spec import FeatureSpec
from scoring.features import FEATURE_KINDS, FEATURE_NAMES, Features, compute_features
from scoring.lead_snapshot import snapshot_from_record
from scoring.training import MIN_PER_CLASS, MIN_ROWS

TIME_COLUMN = "observed_at"
PURCHASE = "purchase"


@dataclass(frozen=True)
class StoreRow:
    """One lead observed once: when, its features then, and whether it bought in the horizon."""

    lead_id: int
    observed_at: datetime
    features: Features
    label: int


def target_name(horizon_days: int) -> str:
    """Return the label's name for a horizon."""
    return f"purchase_within_{horizon_days}d"


def _first_touch(record: LeadRecord) -> datetime | None:
    times = [as_utc(e.occurred_at) for e in record.events]
    if times:
        return min(times)
    return as_utc(record.first_touch_at) if record.first_touch_at else None


def observe_lead(
    record: LeadRecord, *, horizon_days: int, observe_days: int, now: datetime
) -> StoreRow | None:
    """Return the lead's training row, or None when too recent or it bought before t."""
    first = _first_touch(record)
    observe, horizon = timedelta(days=observe_days), timedelta(days=horizon_days)
    if first is None or first + observe + horizon > as_utc(now):
        return None
    t = first + observe
    bought = [as_utc(e.occurred_at) for e in record.events if e.type == PURCHASE]
    if any(at <= t for at in bought):
        return None
    label = int(any(t < at <= t + horizon for at in bought))
    snapshot = snapshot_from_record(record, as_of=t)
    return StoreRow(record.lead_id, t, compute_features(snapshot, as_of=t), label)


def build_store_rows(
    records: Iterable[LeadRecord], *, horizon_days: int = 30, observe_days: int = 7, now: datetime
) -> list[StoreRow]:
    """Return the training rows of every lead old enough to be observed and labelled."""
    if horizon_days < 1 or observe_days < 0:
        raise InvalidTrainingData(
            f"horizon must be ≥ 1 day and observation ≥ 0 days; got horizon {horizon_days}, "
            f"observation {observe_days}"
        )
    rows = (
        observe_lead(r, horizon_days=horizon_days, observe_days=observe_days, now=now)
        for r in records
    )
    return [row for row in rows if row is not None]


def store_feature_spec(frame: pd.DataFrame) -> FeatureSpec:
    """Return the spec of the store features, with category levels seen in `frame`."""
    return FeatureSpec(
        names=FEATURE_NAMES,
        kinds=tuple(kind for _, kind in FEATURE_KINDS),
        categories=tuple(
            levels_of(frame[name]) if kind == "categorical" else () for name, kind in FEATURE_KINDS
        ),
    )


def feature_frame(features: Sequence[Features]) -> pd.DataFrame:
    """Return feature dicts as a frame: numeric columns float (missing NaN), categories text."""
    frame = pd.DataFrame(list(features), columns=list(FEATURE_NAMES))
    for name, kind in FEATURE_KINDS:
        if kind == "numeric":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        else:
            frame[name] = frame[name].astype(object)
    return frame


def _check_rows(rows: Sequence[StoreRow], horizon_days: int, observe_days: int) -> None:
    positives = sum(row.label for row in rows)
    if len(rows) >= MIN_ROWS and min(positives, len(rows) - positives) >= MIN_PER_CLASS:
        return
    raise InvalidTrainingData(
        f"the lead store gives {len(rows)} leads observable for {observe_days} + {horizon_days} "
        f"days, {positives} of whom bought; training needs at least {MIN_ROWS} leads and "
        f"{MIN_PER_CLASS} of each outcome. Simulate more leads with `clinch simulate --leads "
        f"2000`, wait for more history, or shorten --horizon-days / --observe-days"
    )


def table_from_rows(rows: Sequence[StoreRow], *, horizon_days: int) -> TrainingTable:
    """Return the training table of store rows (time column: the observation time)."""
    return table_from_frame(
        feature_frame([row.features for row in rows]),
        labels=np.array([row.label for row in rows], dtype=np.int8),
        observed_at=[row.observed_at for row in rows],
        horizon_days=horizon_days,
    )


def table_from_frame(
    frame: pd.DataFrame,
    *,
    labels: np.ndarray,
    observed_at: Sequence[datetime] | pd.DatetimeIndex,
    horizon_days: int,
) -> TrainingTable:
    """Return the training table of a store feature frame, its labels and observation times."""
    stamps = pd.to_datetime(observed_at, utc=True)
    times: np.ndarray = stamps.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return TrainingTable(
        features=frame,
        target=np.asarray(labels, dtype=np.int8),
        spec=store_feature_spec(frame),
        target_name=target_name(horizon_days),
        dropped=(),
        times=times,
        time_col=TIME_COLUMN,
    )


def build_store_dataset(
    records: Iterable[LeadRecord], *, horizon_days: int = 30, observe_days: int = 7, now: datetime
) -> TrainingTable:
    """Build the training table of the lead store; refuse too few leads or a single outcome."""
    rows = build_store_rows(records, horizon_days=horizon_days, observe_days=observe_days, now=now)
    _check_rows(rows, horizon_days, observe_days)
    return table_from_rows(rows, horizon_days=horizon_days)
