"""Per-session and per-address rate limits of the public chat routes (moving windows)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from leads.errors import ClinchError


class RateLimited(ClinchError):
    """Too many requests from one chat session or address."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class ChatLimits:
    """How many messages a session, and how many requests an address, may send."""

    per_session: str = "20/minute"
    per_address: str = "120/minute"
    new_sessions_per_address: str = "30/minute"


class RateLimits:
    """In-process limiter; each API process counts its own requests."""

    def __init__(self, limits: ChatLimits) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._session: RateLimitItem = parse(limits.per_session)
        self._address: RateLimitItem = parse(limits.per_address)
        self._new: RateLimitItem = parse(limits.new_sessions_per_address)

    def _hit(self, item: RateLimitItem, key: str, what: str) -> None:
        if not self._limiter.hit(item, "chat", key):
            reset = self._limiter.get_window_stats(item, "chat", key).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            raise RateLimited(
                f"too many {what} (at most {item.amount} per {item.GRANULARITY.name}): "
                f"try again in {wait} s",
                retry_after_s=wait,
            )

    def message(self, *, session_id: str, address: str) -> None:
        """Count one chat message; refuse it when its session or address is over the limit."""
        self._hit(self._address, f"ip:{address}", "requests from this address")
        self._hit(self._session, f"session:{session_id}", "messages in this chat session")

    def new_session(self, *, address: str) -> None:
        """Count one new chat session from an address."""
        self._hit(self._new, f"new:{address}", "new chat sessions from this address")
