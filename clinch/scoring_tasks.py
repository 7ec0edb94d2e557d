"""Celery tasks of scoring: rescore touched leads, and everyone periodically as scores decay."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from scoring.errors import ModelNotTrained
from scoring.lead_scoring import rescore_leads
from scoring.registry import ModelRegistry
from scoring.scorer import Bands, Scorer

_log = logging.getLogger("clinch.scoring")


class ScoringClients:
    """The database and the current model's scorer; no vector store (work that needs none)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._db: tuple[Engine, sessionmaker[Session]] | None = None
        self._scorer: Scorer | None = None

    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory, opening the database on first use."""
        if self._db is None:
            self._db = open_database(self.settings)
        return self._db[1]

    def scorer(self) -> Scorer:
        """Return a scorer of the current model, reloaded when another version is promoted."""
        registry = ModelRegistry(self.settings.resolved_home / "models" / "scoring")
        current = registry.current_name()
        if current is None:
            raise ModelNotTrained("no promoted scoring model: run `clinch train`")
        if self._scorer is None or self._scorer.model.version != current:
            bands = Bands(hot=self.settings.scoring.hot, warm=self.settings.scoring.warm)
            self._scorer = Scorer.from_registry(registry, bands=bands)
        return self._scorer


def register_scoring_tasks(app: Celery, settings: Settings) -> None:
    """Register `scoring.rescore_leads` and the periodic `scoring.rescore_all`."""
    clients = ScoringClients(settings)

    def run(lead_ids: list[int] | None, *, only_stale: bool) -> list[int]:
        try:
            scorer = clients.scorer()
        except ModelNotTrained as exc:
            _log.info("not rescoring: %s", exc.message)
            return []
        with unit_of_work(clients.sessions()) as session:
            return rescore_leads(
                session,
                lead_ids=lead_ids,
                scorer=scorer,
                as_of=datetime.now(UTC),
                only_stale=only_stale,
            )

    @app.task(name="scoring.rescore_leads", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def rescore_touched(lead_ids: list[int]) -> int:
        """Rescore leads whose newest event is newer than their newest score."""
        return len(run([int(i) for i in lead_ids], only_stale=True))

    @app.task(name="scoring.rescore_all", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def rescore_all() -> int:
        """Rescore every lead: features carry time, so quiet leads' scores decay."""
        return len(run(None, only_stale=False))
