"""Celery tasks of scoring: rescore touched leads, and everyone periodically as scores decay."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinch.settings import Settings
from clinch.wiring import open_database
from leads.db import unit_of_work
from leads.snapshots import lead_id_pages
from scoring.errors import ModelNotTrained
from scoring.lead_scoring import rescore_chunk, rescore_leads
from scoring.registry import ModelRegistry
from scoring.scorer import Bands, Scorer

# Leads per `scoring.rescore_chunk` task of a periodic pass: small enough to spread over
# workers and to redo cheaply after a worker dies, big enough that queueing costs little.
RESCORE_CHUNK = 1000
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
    """Register `scoring.rescore_leads`, and the periodic pass `scoring.rescore_all`."""
    clients = ScoringClients(settings)

    def with_scorer(work: Callable[[Session, Scorer], list[int]]) -> list[int]:
        try:
            scorer = clients.scorer()
        except ModelNotTrained as exc:
            _log.info("not rescoring: %s", exc.message)
            return []
        with unit_of_work(clients.sessions()) as session:
            return work(session, scorer)

    @app.task(name="scoring.rescore_leads", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def rescore_touched(lead_ids: list[int]) -> int:
        """Rescore leads with events their newest score did not see, then route them."""
        ids = [int(i) for i in lead_ids]
        now = datetime.now(UTC)
        scored = with_scorer(
            lambda s, scorer: rescore_leads(s, lead_ids=ids, scorer=scorer, as_of=now)
        )
        # Every touched lead, scored or not: "talk to a person" routes even without a model.
        app.send_task("routing.route_leads", args=[ids])
        return len(scored)

    @app.task(name="scoring.rescore_chunk", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def rescore_one_chunk(lead_ids: list[int], as_of: str) -> int:
        """Rescore one chunk of a periodic pass as of the pass's time; store only moved scores."""
        ids, at = [int(i) for i in lead_ids], datetime.fromisoformat(as_of)
        moved = with_scorer(
            lambda s, scorer: rescore_chunk(s, lead_ids=ids, scorer=scorer, as_of=at)
        )
        if moved:  # a score that moved may cross a segment's threshold
            app.send_task("routing.route_leads", args=[moved])
        return len(moved)

    @app.task(name="scoring.rescore_all", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def rescore_all() -> int:
        """Queue every lead in chunks: features carry time, so quiet leads' scores decay."""
        try:
            clients.scorer()
        except ModelNotTrained as exc:
            _log.info("not rescoring: %s", exc.message)
            return 0
        as_of = datetime.now(UTC).isoformat()
        chunks = 0
        with clients.sessions()() as session:
            for page in lead_id_pages(session, size=RESCORE_CHUNK):
                app.send_task("scoring.rescore_chunk", args=[page, as_of])
                chunks += 1
        return chunks
