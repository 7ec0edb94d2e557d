"""The FastAPI app factory; the entry point hands it a way to open its resources."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.resources import AppResources
from api.routes import (
    chat,
    chat_handoffs,
    checkout,
    events,
    health,
    inbox,
    ingest,
    marketing,
    nurture,
    nurture_links,
    reps,
    search,
    sessions,
    staff,
    widget,
)


def create_app(open_resources: Callable[[], AppResources]) -> FastAPI:
    """Return the API; resources are opened in the lifespan and closed after it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = open_resources()
        app.state.resources = resources
        try:
            yield
        finally:
            resources.close()

    app = FastAPI(
        title="Clinch",
        summary="Self-hostable AI sales assistant and lead scoring",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # The widget runs on the company's own site and calls the chat routes from there. Callers
    # authenticate with bearer tokens, never cookies, so any origin may call.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
    )
    for module in (
        health,
        sessions,
        search,
        ingest,
        events,
        chat,
        chat_handoffs,
        checkout,
        widget,
        reps,
        inbox,
        nurture,
        nurture_links,
        marketing,
        staff,
    ):
        app.include_router(module.router)
    return app
