"""The Celery app, its queues and its beat schedule."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from clinch.settings import Settings

VECTORS_QUEUE = "vectors"
DEFAULT_QUEUE = "default"
SQLITE_POLL_SECONDS = 0.05


def _tune_sqlite_transport() -> None:
    # kombu hands transport options to create_engine(), which rejects polling_interval,
    # so the interval is set on the class (see ../shared/notes/machine.md).
    from kombu.transport import sqlalchemy as kombu_sqla

    kombu_sqla.Transport.polling_interval = SQLITE_POLL_SECONDS


def create_celery(settings: Settings) -> Celery:
    """Create the Celery app for these settings and register Clinch's tasks."""
    from clinch.delivery import register_delivery_tasks
    from clinch.nurture_delivery import register_nurture_delivery_tasks
    from clinch.nurture_tasks import RETRY_SENDS_TASK, TICK_TASK, register_nurture_tasks
    from clinch.routing_tasks import register_routing_tasks
    from clinch.scoring_tasks import register_scoring_tasks
    from clinch.tasks import register_tasks

    if settings.celery_broker_url.startswith("sqla+"):
        settings.resolved_home.mkdir(parents=True, exist_ok=True)
        _tune_sqlite_transport()
    app = Celery(
        "clinch", broker=settings.celery_broker_url, backend=settings.celery_result_backend
    )
    app.conf.update(
        task_default_queue=DEFAULT_QUEUE,
        # Work that writes vectors goes where the vector store is held (see docs/architecture.md).
        task_routes={"ingestion.*": {"queue": VECTORS_QUEUE}},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_extended=True,
        result_expires=timedelta(days=7),
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule={
            "ingestion.resync_sources": {
                "task": "ingestion.resync_sources",
                "schedule": timedelta(minutes=settings.ingest.resync_minutes),
            },
            "scoring.rescore_all": {
                "task": "scoring.rescore_all",
                "schedule": timedelta(minutes=settings.scoring.rescore_minutes),
            },
            "routing.sweep": {
                "task": "routing.sweep",
                "schedule": timedelta(seconds=settings.routing.sweep_seconds),
            },
            "routing.retry_notifications": {
                "task": "routing.retry_notifications",
                "schedule": timedelta(seconds=10),
            },
            TICK_TASK: {
                "task": TICK_TASK,
                "schedule": timedelta(seconds=settings.nurture.tick_seconds),
            },
            RETRY_SENDS_TASK: {"task": RETRY_SENDS_TASK, "schedule": timedelta(seconds=30)},
        },
        beat_schedule_filename=str(settings.resolved_home / "celerybeat-schedule"),
    )
    register_tasks(app, settings)
    register_scoring_tasks(app, settings)
    register_routing_tasks(app, settings)
    register_delivery_tasks(app, settings)
    register_nurture_tasks(app, settings)
    register_nurture_delivery_tasks(app, settings)
    return app
