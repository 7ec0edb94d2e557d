"""Score leads in the store: the same features as training, stored with versions and reasons."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from leads.models import Score as StoredScore
from leads.models import as_utc
from leads.scores import add_score, latest_scores, stale_lead_ids
from leads.snapshots import load_snapshots
from scoring.errors import ModelNotTrained
from scoring.features import FEATURE_NAMES, FEATURES_VERSION, compute_features
from scoring.lead_snapshot import snapshot_from_record
from scoring.scorer import Score, Scorer


def check_store_model(scorer: Scorer) -> None:
    """Refuse a model whose inputs are not the lead-store features (e.g. one from a CSV)."""
    unknown = [n for n in scorer.model.spec.names if n not in set(FEATURE_NAMES)]
    if unknown:
        raise ModelNotTrained(
            f"the current model {scorer.model.version} was trained on other columns "
            f"({', '.join(unknown[:3])}…): train one from the lead store with `clinch train`"
        )


# A periodic rescore stores a new row only when the score moved (its band, its model, or its
# probability to a tenth of a percentage point): the history stays small.
PROBABILITY_DIGITS = 3


def rescore_leads(
    session: Session,
    *,
    lead_ids: Sequence[int] | None,
    scorer: Scorer,
    as_of: datetime,
    only_stale: bool = True,
) -> list[int]:
    """Score leads as of a time and store each score; return the ids scored."""
    check_store_model(scorer)
    ids: Sequence[int] | None = lead_ids
    if only_stale and lead_ids is not None:
        ids = stale_lead_ids(session, lead_ids=lead_ids)
        if not ids:
            return []
    return [lead_id for lead_id, _ in _score_and_store(session, ids, scorer, as_of, keep_same=True)]


def rescore_chunk(
    session: Session, *, lead_ids: Sequence[int], scorer: Scorer, as_of: datetime
) -> list[int]:
    """Rescore one chunk of a periodic pass; return the ids whose stored score moved.

    Idempotent for one pass: a lead already scored at or after `as_of` is skipped, so a chunk
    redelivered after a worker died stores nothing twice.
    """
    check_store_model(scorer)
    newest = latest_scores(session, lead_ids=lead_ids)
    cutoff = as_utc(as_of)
    todo = [i for i in lead_ids if i not in newest or as_utc(newest[i].scored_at) < cutoff]
    if not todo:
        return []
    return [
        lead_id
        for lead_id, stored in _score_and_store(
            session, todo, scorer, as_of, keep_same=False, previous=newest
        )
        if stored
    ]


def _moved(score: Score, previous: StoredScore | None) -> bool:
    if previous is None or previous.model_version != score.model_version:
        return True
    shown = round(score.probability, PROBABILITY_DIGITS)
    return previous.band != score.band or round(previous.probability, PROBABILITY_DIGITS) != shown


def _score_and_store(
    session: Session,
    lead_ids: Sequence[int] | None,
    scorer: Scorer,
    as_of: datetime,
    *,
    keep_same: bool,
    previous: Mapping[int, StoredScore] | None = None,
) -> Iterator[tuple[int, bool]]:
    for record in load_snapshots(session, lead_ids=lead_ids, as_of=as_of):
        features = compute_features(snapshot_from_record(record, as_of=as_of), as_of=as_of)
        score = scorer.score_row(features)
        if not keep_same and not _moved(score, (previous or {}).get(record.lead_id)):
            yield record.lead_id, False
            continue
        add_score(
            session,
            lead_id=record.lead_id,
            probability=score.probability,
            band=score.band,
            model_version=score.model_version,
            features_version=FEATURES_VERSION,
            reasons=[asdict(r) for r in score.reasons],
            scored_at=as_of,
            events_seen=len(record.events),
        )
        yield record.lead_id, True
