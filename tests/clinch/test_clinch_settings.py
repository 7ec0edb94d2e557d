"""Settings from CLINCH_* variables, and the Celery app built from them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from clinch.celery_app import DEFAULT_QUEUE, VECTORS_QUEUE, create_celery
from clinch.settings import Settings, get_settings

pytestmark = pytest.mark.usefixtures("clean_env")


def test_short_secret_key_from_env_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINCH_SECRET_KEY", "s" * 31)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()


def test_short_secret_key_argument_is_refused() -> None:
    with pytest.raises(ValidationError, match="CLINCH_SECRET_KEY"):
        Settings(secret_key=SecretStr("too-short"))


def test_long_secret_key_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "k" * 32
    monkeypatch.setenv("CLINCH_SECRET_KEY", secret)
    settings = Settings()
    assert settings.signing_key() == secret
    assert secret not in repr(settings)


def test_nested_env_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINCH_CHUNKING__MAX_TOKENS", "100")
    monkeypatch.setenv("CLINCH_EMBEDDER__BACKEND", "onnx-int8")
    monkeypatch.setenv("CLINCH_INGEST__MAX_FILE_MB", "0.5")
    settings = Settings()
    assert settings.chunking.max_tokens == 100
    assert settings.chunking.overlap_tokens == 40
    assert settings.embedder.backend == "onnx-int8"
    assert settings.max_file_bytes == 512 * 1024


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLINCH_CHUNKING__MAX_TOKENS", "1000"),
        ("CLINCH_EMBEDDER__BACKEND", "cuda"),
        ("CLINCH_SESSION_TOKEN_TTL_S", "10"),
        ("CLINCH_API_PORT", "70000"),
    ],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_env_file_in_the_working_folder_is_read(tmp_path: Path) -> None:
    # clean_env made tmp_path the working folder.
    (tmp_path / ".env").write_text("CLINCH_COLLECTION=from-dotenv\n")
    assert Settings().collection == "from-dotenv"


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINCH_COLLECTION", "first")
    first = get_settings()
    monkeypatch.setenv("CLINCH_COLLECTION", "second")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().collection == "second"


def test_embedded_defaults_live_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    home = (tmp_path / "home").resolve()
    assert settings.resolved_home == home
    assert settings.sqlalchemy_url == f"sqlite:///{home / 'clinch.sqlite'}"
    assert settings.vector_path == home / "qdrant-edge"
    assert settings.celery_broker_url == f"sqla+sqlite:///{home / 'broker.sqlite'}"
    assert settings.celery_result_backend == f"db+sqlite:///{home / 'results.sqlite'}"


def test_relative_home_is_resolved(tmp_path: Path) -> None:
    assert Settings(home=Path("var")).resolved_home == tmp_path / "var"


def test_redis_broker_also_keeps_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINCH_BROKER_URL", "redis://127.0.0.1:6379/3")
    assert Settings().celery_result_backend == "redis://127.0.0.1:6379/3"
    monkeypatch.setenv("CLINCH_RESULT_BACKEND", "db+postgresql://db/results")
    assert Settings().celery_result_backend == "db+postgresql://db/results"


def test_signing_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    key = settings.signing_key()
    assert len(key) >= 32
    assert Settings(home=tmp_path / "home").signing_key() == key
    mode = (tmp_path / "home" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_celery_app_routes_ingestion_to_the_vectors_queue(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    celery = create_celery(settings)
    assert celery.conf.broker_url == settings.celery_broker_url
    assert celery.conf.result_backend == settings.celery_result_backend
    assert (tmp_path / "home").is_dir()
    assert {"ingestion.ingest_source", "ingestion.resync_sources"} <= set(celery.tasks)
    route = celery.amqp.router.route({}, "ingestion.ingest_source")
    assert route["queue"].name == VECTORS_QUEUE
    assert celery.amqp.router.route({}, "scoring.train_model")["queue"].name == DEFAULT_QUEUE
    assert celery.tasks["ingestion.ingest_source"].acks_late
    schedule = celery.conf.beat_schedule["ingestion.resync_sources"]
    assert schedule["task"] == "ingestion.resync_sources"
    assert schedule["schedule"].total_seconds() == settings.ingest.resync_minutes * 60
