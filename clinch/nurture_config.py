"""Build nurture's config from settings (the only place nurture's settings are read)."""

from __future__ import annotations

from datetime import time

from clinch.settings import Settings
from nurture.config import NurtureConfig


def nurture_config(settings: Settings) -> NurtureConfig:
    """Return the values nurture runs with under these settings."""
    section = settings.nurture
    return NurtureConfig(
        public_url=settings.resolved_public_url,
        company_name=settings.company_name or "Clinch demo",
        sender=settings.mail.sender,
        max_emails_per_week=section.max_emails_per_week,
        quiet_start=time.fromisoformat(section.quiet_start),
        quiet_end=time.fromisoformat(section.quiet_end),
        default_timezone=section.default_timezone,
        batch_size=section.batch_size,
        retry_seconds=tuple(section.retry_seconds),
        send_lease_s=section.send_lease_seconds,
        link_ttl_s=section.link_days * 86400,
        signing_key=settings.signing_key(),
    )
