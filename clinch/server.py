"""Build the API's resources from settings, with the embedded vectors worker."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from celery import Celery
from celery.result import AsyncResult
from fastapi import FastAPI

from api.app import create_app
from api.auth import create_key, verify_key
from api.resources import AppResources, JobState, JobStatus
from clinch.assistant_wiring import AgentToolbox, chat_rate_limits
from clinch.celery_app import VECTORS_QUEUE, create_celery
from clinch.nurture_config import nurture_config
from clinch.nurture_tasks import EXIT_TASK, SEND_TASK
from clinch.routing_rules import RulesHolder
from clinch.routing_tasks import DELIVER_TASK
from clinch.settings import Settings
from clinch.wiring import Clients, open_clients
from ingestion.errors import IngestQueueUnavailable
from leads.db import unit_of_work
from leads.errors import ClinchError
from retrieval.schemas import Visibility

LOCAL_KEY_FILE = "local-admin.key"
_log = logging.getLogger("clinch.server")
_STATES: dict[str, JobState] = {
    "PENDING": "queued",
    "RECEIVED": "queued",
    "RETRY": "queued",
    "STARTED": "running",
    "PROGRESS": "running",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "failed",
}


class EmbeddedWorker:
    """A Celery worker thread inside the process that holds the embedded vector store."""

    def __init__(self, app: Celery, *, queues: list[str]) -> None:
        self._worker: Any = app.WorkController(
            hostname=f"vectors-{socket.gethostname()}-{threading.get_native_id()}@localhost",
            pool_cls="solo",
            concurrency=1,
            queues=queues,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="INFO",
        )
        self._app = app
        self._thread = threading.Thread(target=self._run, name="clinch-vectors-worker", daemon=True)

    def _run(self) -> None:
        # The solo pool looks tasks up on the thread's current app; without this it falls back
        # to Celery's default app, whose backend is disabled, and every result is dropped.
        self._app.set_current()
        self._worker.start()

    def start(self) -> None:
        """Start consuming in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop consuming and wait for the current task."""
        self._worker.stop(in_sighandler=False)
        self._thread.join(timeout=30)


def job_status(app: Celery, job_id: str) -> JobStatus:
    """Return a Celery task's state as a job status."""
    result = AsyncResult(job_id, app=app)
    state = _STATES.get(result.state, "running")
    info = result.info
    if state == "succeeded" and isinstance(info, dict):
        counts = info.get("files")
        total = len(counts) if isinstance(counts, list) else 0
        return JobStatus(job_id, state, total, total, result=info)
    if state == "failed":
        return JobStatus(job_id, state, error=str(info))
    if isinstance(info, dict):
        return JobStatus(job_id, state, int(info.get("done", 0)), int(info.get("total", 0)))
    return JobStatus(job_id, state)


def ensure_local_admin_key(settings: Settings, clients: Clients) -> None:
    """Keep an admin key in a 0600 file under home so the local CLI can reach this server."""
    path = settings.resolved_home / LOCAL_KEY_FILE
    with unit_of_work(clients.sessions) as session:
        if path.exists():
            try:
                verify_key(session, path.read_text().strip())
                return
            except ClinchError:
                pass
        key = create_key(session, name="local-cli", role="admin")
    path.write_text(key.secret)
    path.chmod(0o600)


def build_resources(settings: Settings) -> AppResources:
    """Open clients, the Celery app and (embedded mode) the in-process vectors worker."""
    clients = open_clients(settings)
    celery = create_celery(settings)
    celery.clinch_clients.provide(clients)
    ensure_local_admin_key(settings, clients)
    worker = EmbeddedWorker(celery, queues=[VECTORS_QUEUE]) if not settings.qdrant_url else None
    if worker is not None:
        worker.start()

    def enqueue(
        job_id: str, root: str, visibility: Visibility, base_url: str | None, force: bool
    ) -> None:
        try:
            celery.send_task(
                "ingestion.ingest_source", args=[root, visibility, base_url, force], task_id=job_id
            )
        except Exception as exc:  # kombu raises many types for a broker that is down
            raise IngestQueueUnavailable(f"the job queue is unavailable: {exc}") from exc

    def enqueue_rescore(lead_ids: list[int]) -> None:
        # Queued at once, so a score follows an event within a moment. A burst still rescores a
        # lead about once: the task skips leads whose newest score saw all their events, so the
        # tasks that queue behind the first find nothing left to do. Best effort: a lead whose
        # rescoring is lost is caught by the periodic pass.
        try:
            celery.send_task("scoring.rescore_leads", args=[lead_ids])
        except Exception:  # kombu raises many types for a broker that is down
            _log.exception("could not queue rescoring of %d leads", len(lead_ids))

    def enqueue_notices(notification_ids: list[int]) -> None:
        # Best effort, like rescoring: a notice whose task is lost stays pending in the
        # notifications table, where the delivery sweep finds it. A broker that is down fails
        # every send alike, so stop at the first failure rather than wait out each one.
        for sent, notification_id in enumerate(notification_ids):
            try:
                celery.send_task(DELIVER_TASK, args=[notification_id])
            except Exception:  # kombu raises many types for a broker that is down
                left = len(notification_ids) - sent
                _log.exception("could not queue delivery of %d notifications", left)
                return

    def enqueue_sends(send_ids: list[int]) -> None:
        # Best effort: a send whose task is lost stays pending, and the retry sweep finds it.
        if not send_ids:
            return
        try:
            celery.send_task(SEND_TASK, args=[send_ids])
        except Exception:  # kombu raises many types for a broker that is down
            _log.exception("could not queue %d nurture sends", len(send_ids))

    def enqueue_nurture_exits(lead_ids: list[int]) -> None:
        # Best effort: the tick checks exit conditions before every step it runs.
        if not lead_ids:
            return
        try:
            celery.send_task(EXIT_TASK, args=[lead_ids])
        except Exception:  # kombu raises many types for a broker that is down
            _log.exception("could not queue nurture exits of %d leads", len(lead_ids))

    def close() -> None:
        if worker is not None:
            worker.stop()
        clients.close()

    return AppResources(
        sessions=clients.sessions,
        embedder=clients.embedder,
        store=clients.store,
        enqueue_ingest=enqueue,
        job_status=lambda job_id: job_status(celery, job_id),
        enqueue_rescore=enqueue_rescore,
        signing_key=settings.signing_key(),
        session_ttl_s=settings.session_token_ttl_s,
        vector_backend="qdrant-server" if settings.qdrant_url else "qdrant-edge",
        agent=AgentToolbox(settings, clients),
        public_url=settings.resolved_public_url,
        checkout_ttl_s=settings.checkout_link_hours * 3600,
        rate_limits=chat_rate_limits(settings),
        routing_rules=RulesHolder(settings.routing_rules_path).get,
        enqueue_notices=enqueue_notices,
        nurture=nurture_config(settings),
        enqueue_sends=enqueue_sends,
        enqueue_nurture_exits=enqueue_nurture_exits,
        payment_webhook_secret=settings.payment_webhook_secret(),
        payment_tolerance_s=settings.checkout.webhook_tolerance_s,
        demo_payments=settings.checkout.demo_payments,
        close=close,
    )


def create_api(settings: Settings) -> FastAPI:
    """Return the API app for these settings."""
    return create_app(lambda: build_resources(settings))
