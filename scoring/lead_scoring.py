"""Score leads in the store: the same features as training, stored with versions and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from leads.scores import add_score, stale_lead_ids
from leads.snapshots import load_snapshots
from scoring.errors import ModelNotTrained
from scoring.features import FEATURE_NAMES, FEATURES_VERSION, compute_features
from scoring.lead_snapshot import snapshot_from_record
from scoring.scorer import Scorer


def check_store_model(scorer: Scorer) -> None:
    """Refuse a model whose inputs are not the lead-store features (e.g. one from a CSV)."""
    unknown = [n for n in scorer.model.spec.names if n not in set(FEATURE_NAMES)]
    if unknown:
        raise ModelNotTrained(
            f"the current model {scorer.model.version} was trained on other columns "
            f"({', '.join(unknown[:3])}…): train one from the lead store with `clinch train`"
        )


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
    scored: list[int] = []
    for record in load_snapshots(session, lead_ids=ids, as_of=as_of):
        features = compute_features(snapshot_from_record(record, as_of=as_of), as_of=as_of)
        score = scorer.score_row(features)
        add_score(
            session,
            lead_id=record.lead_id,
            probability=score.probability,
            band=score.band,
            model_version=score.model_version,
            features_version=FEATURES_VERSION,
            reasons=[asdict(r) for r in score.reasons],
            scored_at=as_of,
        )
        scored.append(record.lead_id)
    return scored
