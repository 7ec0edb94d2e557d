"""A fresh CLINCH_HOME per test, read through the real (cached) get_settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinch.settings import get_settings
from retrieval.embedder import SentenceEmbedder, bundled_model_dir
from tests.demo_company import copy_demo

REPO = Path(__file__).resolve().parents[2]
# Where the session `embedder` fixture of tests/conftest.py keeps its ONNX export.
MODEL_CACHE = REPO / "var" / "test-models"


def link_model_cache(home: Path) -> None:
    """Point home's model cache at the suite's ONNX export, so no home exports it again."""
    export = MODEL_CACHE / f"{bundled_model_dir().name}-onnx"
    models = home / "models"
    models.mkdir(parents=True, exist_ok=True)
    # A dangling link would break loading; without the export the process makes its own.
    if (export / "onnx" / "model.onnx").exists():
        (models / export.name).symlink_to(export, target_is_directory=True)


def clear_clinch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the caller's CLINCH_* variables so only what a test sets is read."""
    for name in list(os.environ):
        if name.startswith("CLINCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No CLINCH_* variables, no .env file, and an empty settings cache before and after."""
    clear_clinch_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def model_home(tmp_path: Path, embedder: SentenceEmbedder) -> Path:
    """A home folder with the shared model export linked in (nothing else set)."""
    del embedder  # requested so the shared export exists before it is linked
    home = tmp_path / "home"
    link_model_cache(home)
    return home


@pytest.fixture
def clinch_home(clean_env: None, model_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLINCH_HOME set to a fresh home, read through get_settings."""
    del clean_env
    monkeypatch.setenv("CLINCH_HOME", str(model_home))
    return model_home


@pytest.fixture
def demo_home(
    clean_env: None, model_home: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """CLINCH_HOME set to a copy of the ingested demo company."""
    del clean_env
    monkeypatch.setenv("CLINCH_HOME", str(model_home))
    get_settings.cache_clear()
    copy_demo(demo_template, get_settings())
    yield model_home
    get_settings.cache_clear()
