"""The one Settings object; read only by the entry points (CLI, API, Celery)."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderBackend = Literal["torch", "onnx", "onnx-int8"]


class EmbedderSettings(BaseModel):
    """Which embedding model runs and how."""

    backend: EmbedderBackend = "onnx"
    batch_size: int = Field(default=32, ge=1, le=1024)
    threads: int = Field(default=1, ge=1, le=64)


class ChunkingSettings(BaseModel):
    """How documents are cut for the embedder's 256-token window."""

    max_tokens: int = Field(default=200, ge=32, le=256)
    overlap_tokens: int = Field(default=40, ge=0, le=128)


class IngestSettings(BaseModel):
    """Limits applied to every ingested file."""

    max_file_mb: float = Field(default=10.0, gt=0)
    resync_minutes: int = Field(default=60, ge=1)


class ScoringSettings(BaseModel):
    """Score bands and how often every lead is rescored."""

    hot: float = Field(default=0.5, gt=0, lt=1)
    warm: float = Field(default=0.2, gt=0, lt=1)
    rescore_minutes: int = Field(default=60, ge=1)


class AssistantSettings(BaseModel):
    """The chat assistant: its confidence floor, sources per answer and rate limits."""

    min_confidence: float = Field(default=0.45, ge=0, le=2)
    sources: int = Field(default=5, ge=1, le=20)
    messages_per_session: str = "20/minute"
    requests_per_address: str = "120/minute"
    sessions_per_address: str = "30/minute"


class RoutingSettings(BaseModel):
    """Routing's clocks: the SLA sweep, notice retries and webhook timeouts."""

    # How often beat ends lapsed offers and drains the queue (reps coming on shift).
    sweep_seconds: int = Field(default=30, ge=1, le=3600)
    # Waits between a failed notice's attempts; after the last one it goes to the dead letters.
    retry_seconds: list[int] = Field(default_factory=lambda: [10, 60, 300, 1800, 7200])
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)


class MailSettings(BaseModel):
    """Where mail goes: an SMTP server, or (unset) .eml files in the outbox folder."""

    smtp_url: SecretStr | None = None
    sender: str = "Clinch <clinch@localhost>"
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class NurtureSettings(BaseModel):
    """Nurture's clocks and limits: the due-step tick, the weekly cap, quiet hours, retries."""

    tick_seconds: int = Field(default=15, ge=1, le=3600)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    # At most this many nurture emails per lead per rolling week, across every sequence.
    max_emails_per_week: int = Field(default=3, ge=1, le=50)
    # No email is sent between these times in the lead's own time zone.
    quiet_start: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # The zone of a lead with neither a time zone nor a country.
    default_timezone: str = "UTC"
    # Waits between attempts at a send that failed (SMTP refused, timed out); then it is dead.
    retry_seconds: list[int] = Field(default_factory=lambda: [60, 300, 1800, 7200, 21600])
    send_lease_seconds: int = Field(default=120, ge=5, le=3600)
    # How long unsubscribe and tracked links in a sent email keep working.
    link_days: int = Field(default=365, ge=30, le=3650)


class CheckoutSettings(BaseModel):
    """The payment provider's webhook: its signing secret and how old a signature may be."""

    # Stripe-compatible `whsec_…` secret; unset: derived from the installation's secret key
    # (the demo's built-in payment step signs with the same one).
    webhook_secret: SecretStr | None = None
    webhook_tolerance_s: int = Field(default=300, ge=10, le=3600)
    # The checkout page's built-in demo payment step (records a purchase, charges nothing).
    # Turn it off in production, where the payment provider's webhook records purchases.
    demo_payments: bool = True


class Settings(BaseSettings):
    """Clinch configuration, from `CLINCH_*` environment variables (nested with `__`)."""

    model_config = SettingsConfigDict(
        env_prefix="CLINCH_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    home: Path = Path("var")
    database_url: str | None = None
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    collection: str = "knowledge"
    company_name: str | None = None
    broker_url: str | None = None
    result_backend: str | None = None
    secret_key: SecretStr | None = None
    session_token_ttl_s: int = Field(default=3600, ge=60)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    embedder: EmbedderSettings = EmbedderSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    ingest: IngestSettings = IngestSettings()
    scoring: ScoringSettings = ScoringSettings()
    assistant: AssistantSettings = AssistantSettings()
    routing: RoutingSettings = RoutingSettings()
    mail: MailSettings = MailSettings()
    nurture: NurtureSettings = NurtureSettings()
    checkout: CheckoutSettings = CheckoutSettings()
    # CLINCH_SMTP_URL: the short name for CLINCH_MAIL__SMTP_URL (either one; this one wins).
    smtp_url: SecretStr | None = None
    # Any LangChain chat model as "provider:model" (e.g. "openai:gpt-4o-mini", "ollama:llama3");
    # unset: the offline extractive answerer.
    # Where prospects reach this installation (links in chat and mail); default: the API address.
    public_url: str | None = None
    checkout_link_hours: int = Field(default=72, ge=1, le=24 * 90)
    llm: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("CLINCH_SECRET_KEY must be at least 32 characters")
        return value

    @property
    def resolved_home(self) -> Path:
        """Return the home folder as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """Return the store-of-record URL (SQLite under home unless configured)."""
        return self.database_url or f"sqlite:///{self.resolved_home / 'clinch.sqlite'}"

    @property
    def resolved_public_url(self) -> str:
        """Return the public base URL without a trailing slash."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def vector_path(self) -> Path:
        """Return the folder of the embedded Qdrant Edge shard."""
        return self.resolved_home / "qdrant-edge"

    @property
    def celery_broker_url(self) -> str:
        """Return the broker URL: a server-free SQLite transport unless configured."""
        return self.broker_url or f"sqla+sqlite:///{self.resolved_home / 'broker.sqlite'}"

    @property
    def celery_result_backend(self) -> str:
        """Return the Celery result backend URL."""
        if self.result_backend:
            return self.result_backend
        if self.broker_url and self.broker_url.startswith("redis"):
            return self.broker_url
        return f"db+sqlite:///{self.resolved_home / 'results.sqlite'}"

    @property
    def routing_rules_path(self) -> Path:
        """Return where the routing rules in force are kept (`clinch routing load`)."""
        return self.resolved_home / "routing.yaml"

    @property
    def outbox_path(self) -> Path:
        """Return the folder mail is written to when no SMTP server is configured."""
        return self.resolved_home / "outbox"

    @property
    def resolved_smtp_url(self) -> str | None:
        """Return the SMTP server's URL (CLINCH_SMTP_URL or CLINCH_MAIL__SMTP_URL), or None."""
        chosen = self.smtp_url or self.mail.smtp_url
        return chosen.get_secret_value() if chosen is not None else None

    def payment_webhook_secret(self) -> str:
        """Return the payment webhook's signing secret (derived from the secret key if unset)."""
        if self.checkout.webhook_secret is not None:
            return self.checkout.webhook_secret.get_secret_value()
        digest = hashlib.sha256(f"payments:{self.signing_key()}".encode()).hexdigest()
        return f"whsec_{digest[:40]}"

    @property
    def max_file_bytes(self) -> int:
        """Return the per-file ingest size limit in bytes."""
        return int(self.ingest.max_file_mb * 1024 * 1024)

    def signing_key(self) -> str:
        """Return the secret key, creating and keeping one under home when none is set."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.resolved_home / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
