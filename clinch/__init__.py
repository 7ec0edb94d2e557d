"""Clinch entry point: settings, CLI, Celery app and wiring."""
