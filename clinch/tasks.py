"""Celery tasks: thin wrappers that open a session, call one service, commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task

from clinch.settings import Settings
from clinch.wiring import Clients, open_clients
from ingestion.service import IngestListener, IngestOptions, ingest_path
from ingestion.summary import FileOutcome, IngestSummary
from leads import documents as documents_repo
from leads.db import unit_of_work
from retrieval.schemas import Visibility


class WorkerClients:
    """Clients of the process a task runs in: handed over by the API, or opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: Clients | None = None

    def provide(self, clients: Clients) -> None:
        """Use clients the hosting process already opened (the API's, in embedded mode)."""
        self._clients = clients

    def get(self) -> Clients:
        """Return the clients, opening them on first use."""
        if self._clients is None:
            self._clients = open_clients(self.settings)
        return self._clients

    def close(self) -> None:
        """Close clients this holder opened."""
        if self._clients is not None:
            self._clients.close()
            self._clients = None


class _TaskProgress:
    def __init__(self, task: Task[Any, Any]) -> None:
        self.task, self.total, self.done = task, 0, 0

    def started(self, total: int) -> None:
        self.total = total
        self._report()

    def file_done(self, outcome: FileOutcome) -> None:
        del outcome
        self.done += 1
        self._report()

    def _report(self) -> None:
        if self.task.request.id is not None:
            self.task.update_state(state="PROGRESS", meta={"done": self.done, "total": self.total})


def ingest_options(
    settings: Settings, *, visibility: Visibility, base_url: str | None, force: bool
) -> IngestOptions:
    """Return ingest options from settings and a request."""
    return IngestOptions(
        visibility=visibility,
        max_bytes=settings.max_file_bytes,
        max_tokens=settings.chunking.max_tokens,
        overlap_tokens=settings.chunking.overlap_tokens,
        base_url=base_url,
        force=force,
        company=settings.company_name,
    )


def run_ingest(
    clients: Clients, root: Path, options: IngestOptions, *, listener: IngestListener | None
) -> IngestSummary:
    """Run one ingest job in its own unit of work, committing after every file."""
    with unit_of_work(clients.sessions) as session:
        return ingest_path(
            session,
            root=root,
            embedder=clients.embedder,
            store=clients.store,
            options=options,
            checkpoint=session.commit,
            listener=listener,
        )


def register_tasks(app: Celery, settings: Settings) -> None:
    """Register Clinch's tasks on the app; clients live on `app.clinch_clients`."""
    holder = WorkerClients(settings)
    app.clinch_clients = holder

    @app.task(name="ingestion.ingest_source", bind=True, acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def ingest_source(
        self: Task[Any, Any],
        root: str,
        visibility: Visibility = "public",
        base_url: str | None = None,
        force: bool = False,
    ) -> dict[str, object]:
        """Ingest a folder or file: idempotent, so a redelivered task is harmless."""
        options = ingest_options(settings, visibility=visibility, base_url=base_url, force=force)
        summary = run_ingest(holder.get(), Path(root), options, listener=_TaskProgress(self))
        return summary.to_dict()

    @app.task(name="ingestion.resync_sources", acks_late=True, shared=False)  # type: ignore[untyped-decorator]
    def resync_sources() -> list[str]:
        """Queue a re-ingest of every known root so deleted files stop being answered."""
        clients = holder.get()
        with unit_of_work(clients.sessions) as session:
            roots = documents_repo.known_roots(session)
        for root, visibility in roots:
            if Path(root).exists():
                ingest_source.delay(root, visibility)
        return [root for root, _ in roots]
