"""Event accepted → score stored, with `clinch up` (API, worker, beat) on embedded defaults."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.auth import create_key
from leads.db import make_engine, make_session_factory
from leads.migrate import upgrade
from scoring.registry import ModelRegistry
from scoring.training import TrainedModel

_START_TIMEOUT_S = 180.0
_SCORE_TIMEOUT_S = 10.0
_POLL_S = 0.002


@dataclass(frozen=True)
class EventLatency:
    """Per event: the POST round trip, and the time until its lead's score was stored."""

    accept_ms: tuple[float, ...]
    scored_ms: tuple[float, ...]
    missed: int


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_home(home: Path, trained: TrainedModel) -> str:
    """Promote the model in a fresh home, migrate its store and return a site key."""
    home.mkdir(parents=True, exist_ok=True)
    registry = ModelRegistry(home / "models" / "scoring")
    registry.promote(registry.register(trained, command="clinch bench scoring").name, force=True)
    url = f"sqlite:///{home / 'clinch.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            key = create_key(session, name="bench", role="site")
            session.commit()
    finally:
        engine.dispose()
    return key.secret


def wait_healthy(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    """Wait until the API answers /healthz, or fail if the process exits."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"clinch up exited with {process.returncode}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("clinch up did not answer /healthz in time")


def _scored(db: sqlite3.Connection, lead_id: int) -> bool:
    row = db.execute("SELECT 1 FROM scores WHERE lead_id = ? LIMIT 1", (lead_id,)).fetchone()
    return row is not None


def _one(client: httpx.Client, db: sqlite3.Connection, key: str, n: int) -> tuple[float, float]:
    event = {
        "event_id": f"bench-{n}",
        "type": "pricing_view",
        "occurred_at": datetime.now(UTC).isoformat(),
        "email": f"bench-{n}@example.com",
        "properties": {"path": "/pricing"},
    }
    started = time.perf_counter()
    response = client.post("/v1/events", json={"events": [event]}, headers={"X-API-Key": key})
    accepted = time.perf_counter()
    response.raise_for_status()
    lead_id = int(response.json()["results"][0]["lead_id"])
    while not _scored(db, lead_id):
        if time.perf_counter() - started > _SCORE_TIMEOUT_S:
            return (accepted - started) * 1000, float("nan")
        time.sleep(_POLL_S)
    return (accepted - started) * 1000, (time.perf_counter() - started) * 1000


@contextmanager
def running_up(home: Path) -> Iterator[tuple[httpx.Client, sqlite3.Connection]]:
    """Run `clinch up` in `home` until the block ends; yield an API client and the store."""
    port = free_port()
    env = {**os.environ, "CLINCH_HOME": str(home), "CLINCH_API_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "clinch", "up", "--for", "900"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_healthy(client, process)
            db = sqlite3.connect(home / "clinch.sqlite")
            try:
                yield client, db
            finally:
                db.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def measure_event_latency(*, home: Path, trained: TrainedModel, events: int) -> EventLatency:
    """Start `clinch up` in `home`, send events one at a time, time each until its score."""
    key = prepare_home(home, trained)
    accept: list[float] = []
    scored: list[float] = []
    with running_up(home) as (client, db):
        for n in range(-5, events):  # five warm-up events load the model in the worker
            a, s = _one(client, db, key, n)
            if n >= 0:
                accept.append(a)
                scored.append(s)
            time.sleep(0.05)
    kept = tuple(s for s in scored if s == s)
    return EventLatency(tuple(accept), kept, missed=len(scored) - len(kept))
