"""The API built the real way: Settings → create_api, lifespan run by TestClient."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import ROLES, create_key
from api.resources import AppResources
from clinch.server import create_api
from clinch.settings import Settings
from leads.db import unit_of_work
from retrieval.embedder import SentenceEmbedder, bundled_model_dir

# Where the session `embedder` fixture of tests/conftest.py keeps its ONNX export.
MODEL_CACHE = Path(__file__).resolve().parents[2] / "var" / "test-models"


def link_model_cache(home: Path) -> None:
    """Point home's model cache at the suite's ONNX export, so no home exports it again."""
    export = MODEL_CACHE / f"{bundled_model_dir().name}-onnx"
    models = home / "models"
    models.mkdir(parents=True, exist_ok=True)
    # A dangling link would break loading; without the export the process makes its own.
    if (export / "onnx" / "model.onnx").exists():
        (models / export.name).symlink_to(export, target_is_directory=True)


def isolated_settings(home: Path, **values: object) -> Settings:
    """Return Settings for this home, ignoring the caller's CLINCH_* variables and .env."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("CLINCH_"):
                mp.delenv(name)
        return Settings(home=home, _env_file=None, **values)  # type: ignore[arg-type]


def bearer(secret: str) -> dict[str, str]:
    """Return the Authorization header for a key or session token."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Settings:
    """Embedded defaults (Qdrant Edge, SQLite, sqla+sqlite broker) under a module's home."""
    del embedder  # requested so the shared ONNX export exists before it is linked
    home = tmp_path_factory.mktemp("clinch-home")
    link_model_cache(home)
    return isolated_settings(home)


@pytest.fixture(scope="module")
def app(api_settings: Settings) -> FastAPI:
    """The API exactly as `clinch serve` builds it."""
    return create_api(api_settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with the lifespan running: clients open, embedded worker consuming."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def resources(client: TestClient, app: FastAPI) -> AppResources:
    """The resources the running app's lifespan opened."""
    del client
    opened: AppResources = app.state.resources
    return opened


@pytest.fixture(scope="module")
def keys(resources: AppResources) -> dict[str, str]:
    """One API key secret per role."""
    with unit_of_work(resources.sessions) as session:
        return {role: create_key(session, name=f"test {role}", role=role).secret for role in ROLES}


@pytest.fixture(scope="module")
def auth(keys: dict[str, str]) -> dict[str, dict[str, str]]:
    """Bearer headers per role."""
    return {role: bearer(secret) for role, secret in keys.items()}
