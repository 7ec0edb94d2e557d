"""The values nurture runs with, built by the entry point from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time


@dataclass(frozen=True)
class NurtureConfig:
    """Limits, clocks and addresses of nurture; services take this, never the settings."""

    public_url: str
    company_name: str
    sender: str
    max_emails_per_week: int = 3
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    default_timezone: str = "UTC"
    batch_size: int = 500
    retry_seconds: tuple[int, ...] = (60, 300, 1800, 7200, 21600)
    send_lease_s: int = 120
    link_ttl_s: int = 365 * 86400
    # Signs unsubscribe and tracked links; kept out of repr so it never lands in a log.
    signing_key: str = field(default="", repr=False)
