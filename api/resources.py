"""What the entry point hands the app: clients and job functions, built from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from api.rate_limits import RateLimits
from assistant.agent import AgentTools
from nurture.config import NurtureConfig
from retrieval.embedder import Embedder
from retrieval.schemas import Visibility
from retrieval.store import VectorStore
from routing.service import LoadedRules

JobState = Literal["queued", "running", "succeeded", "failed"]


@dataclass(frozen=True)
class JobStatus:
    """Where a background job is."""

    id: str
    state: JobState
    done: int = 0
    total: int = 0
    result: dict[str, object] | None = None
    error: str | None = None


@dataclass(frozen=True)
class AppResources:
    """Clients and functions the API needs; api/ never reads settings itself."""

    sessions: sessionmaker[Session]
    embedder: Embedder
    store: VectorStore
    enqueue_ingest: Callable[[str, str, Visibility, str | None, bool], None]
    job_status: Callable[[str], JobStatus]
    enqueue_rescore: Callable[[list[int]], None]
    signing_key: str
    session_ttl_s: int
    vector_backend: str
    agent: Callable[[], AgentTools]
    public_url: str
    checkout_ttl_s: int
    rate_limits: RateLimits
    # The routing rules in force (re-read when the file changes), and the delivery of the
    # notices an action wrote: called only after the request's session has committed.
    routing_rules: Callable[[], LoadedRules]
    enqueue_notices: Callable[[list[int]], None]
    # Nurture: its config, the delivery of sends a request wrote (after commit), and ending the
    # enrollments of leads that bought, replied or unsubscribed (after commit).
    nurture: NurtureConfig
    enqueue_sends: Callable[[list[int]], None]
    enqueue_nurture_exits: Callable[[list[int]], None]
    # The payment provider's webhook secret, and how old a signature may be.
    payment_webhook_secret: str
    payment_tolerance_s: int
    # Whether the checkout page's demo payment step is served (off in production).
    demo_payments: bool
    close: Callable[[], None]
