"""Build the assistant's tools from settings: the catalog, the chat model, the limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy.orm import Session, sessionmaker

from api.rate_limits import ChatLimits, RateLimits
from assistant.agent import AgentTools
from checkout.catalog import Catalog
from checkout.catalog_loader import load_catalog
from clinch.local_llm import GGUF_PREFIX, open_gguf_chat_model
from clinch.settings import Settings
from clinch.wiring import Clients
from leads.documents import pricing_version, public_pricing_paths
from leads.errors import ClinchError

_log = logging.getLogger("clinch.assistant")


def open_chat_model(settings: Settings) -> BaseChatModel | None:
    """Return the configured LangChain chat model, or None for the offline answerer."""
    if not settings.llm:
        return None
    if settings.llm.startswith(GGUF_PREFIX):
        return open_gguf_chat_model(Path(settings.llm.removeprefix(GGUF_PREFIX)).expanduser())
    from langchain.chat_models import init_chat_model

    options: dict[str, Any] = {"temperature": 0}
    if settings.llm_base_url:
        options["base_url"] = settings.llm_base_url
    if settings.llm_api_key is not None:
        options["api_key"] = settings.llm_api_key.get_secret_value()
    model: BaseChatModel = init_chat_model(settings.llm, **options)
    return model


def load_public_catalog(
    sessions: sessionmaker[Session], *, company: str | None
) -> tuple[Catalog, Path] | None:
    """Return the newest ingested public pricing catalog and its file, if any loads."""
    with sessions() as session:
        paths = public_pricing_paths(session)
    for text in paths:
        path = Path(text)
        try:
            return load_catalog(path, company=company), path
        except (ClinchError, OSError) as exc:
            _log.warning("skipping pricing catalog %s: %s", path, exc)
    return None


# How often a busy chat checks whether the pricing catalog was re-ingested (one small query).
CATALOG_CHECK_S = 5.0


class AgentToolbox:
    """Hands out the assistant's tools; the catalog is reloaded when pricing is re-ingested.

    The catalog's version is read at most once every `check_s` seconds, not on every message.
    """

    def __init__(
        self,
        settings: Settings,
        clients: Clients,
        *,
        check_s: float = CATALOG_CHECK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._check_s, self._clock = check_s, clock
        self._checked_at: float | None = None
        self._sessions = clients.sessions
        self._base = AgentTools(
            embedder=clients.embedder,
            store=clients.store,
            company=settings.company_name or "our company",
            chat_model=open_chat_model(settings),
            min_confidence=settings.assistant.min_confidence,
            k=settings.assistant.sources,
        )
        self._seen: object = None
        self._tools = self._base

    def __call__(self) -> AgentTools:
        """Return the tools with the current catalog."""
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self._check_s:
            return self._tools
        self._checked_at = now
        with self._sessions() as session:
            version = pricing_version(session)
        if version != self._seen:
            self._tools = self._with_catalog()
            self._seen = version
        return self._tools

    def _with_catalog(self) -> AgentTools:
        found = load_public_catalog(self._sessions, company=self._settings.company_name)
        if found is None:
            return self._base
        catalog, path = found
        company = self._settings.company_name or catalog.company
        return replace(self._base, company=company, catalog=catalog, catalog_source=path.name)


def build_agent_tools(settings: Settings, clients: Clients) -> AgentTools:
    """Return the assistant's tools for a one-off command."""
    return AgentToolbox(settings, clients)()


def chat_rate_limits(settings: Settings) -> RateLimits:
    """Return the chat routes' limiter."""
    limits = settings.assistant
    return RateLimits(
        ChatLimits(
            per_session=limits.messages_per_session,
            per_address=limits.requests_per_address,
            new_sessions_per_address=limits.sessions_per_address,
        )
    )
