"""Celery tasks of nurture's engine: the due-step tick, enrolling routed leads, ending enrollments.

Task names are shared with the API (which queues sends and exits after its commit) and the
delivery module (which registers the send tasks).
"""

from __future__ import annotations

from celery import Celery

from clinch.settings import Settings

TICK_TASK = "nurture.tick"
ENROLL_TASK = "nurture.enroll_leads"
EXIT_TASK = "nurture.exit_leads"
SEND_TASK = "nurture.send_emails"
RETRY_SENDS_TASK = "nurture.retry_sends"


def register_nurture_tasks(app: Celery, settings: Settings) -> None:
    """Register the engine's tasks (the tick, enrolling, exits)."""
    del app, settings  # filled in by the engine
