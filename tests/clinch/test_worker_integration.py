"""Real processes: a Celery worker on Redis that owns the vector store, and `clinch up`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from celery.result import AsyncResult
from sqlalchemy import select

from clinch.celery_app import create_celery
from clinch.routing_rules import install_rules
from clinch.server import job_status
from clinch.settings import Settings
from clinch.wiring import open_clients, open_database
from leads.db import unit_of_work
from leads.event_rules import EventIn
from leads.intake import ingest_events
from leads.models import Notification, WebhookEndpoint
from leads.reps import upsert_reps
from leads.reps_file import parse_reps
from leads.scores import latest_scores
from leads.simulated_records import simulated_record
from leads.simulator import simulate
from retrieval.search import search
from routing.webhooks import new_secret, verify
from scoring.lead_dataset import observe_lead, table_from_rows
from scoring.registry import ModelRegistry
from scoring.training import TrainingConfig, train

REPO = Path(__file__).resolve().parents[2]
# Read at import: the clean_env fixture removes CLINCH_* variables while a test runs.
REDIS_URL = os.environ.get("CLINCH_TEST_REDIS_URL")
BROKER_URLS = {"redis": REDIS_URL, "rabbitmq": os.environ.get("CLINCH_TEST_AMQP_URL")}
TASK_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0
# `clinch up` starts three Python processes at once; on a busy two-core machine the API was
# seen to take 23 to 47 s to answer. So one run serves until a signal stops it, and a second,
# short run stops by itself: no run waits out a duration sized for the slowest start.
HEALTHY_WITHIN_S = 150.0
UP_FOR_S = 5
FAST = TrainingConfig(learning_rate=0.08, max_rounds=300, early_stopping_rounds=30, threads=1)


def _process_env(home: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINCH_")}
    env.update({"CLINCH_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    env.update(values)
    return env


def _spawn(
    args: list[str], *, env: dict[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "clinch", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group, so a failed test can still stop everything it started.
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> int:
    """Terminate, then kill after the grace period; return the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _docs(folder: Path, words: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, word in words.items():
        (folder / f"{name}.md").write_text(f"# {name.title()}\n\nOur {word} keeps {name} tidy.\n")
    return folder


def _descendants(root: int) -> set[int]:
    table = subprocess.run(
        ["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True
    ).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        pid, ppid = (int(x) for x in line.split())
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _running(pid: int) -> bool:
    state = subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True
    ).stdout.strip()
    return bool(state) and not state.startswith("Z")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a worker process on Redis --------------------------------------------------------------


@pytest.fixture(params=sorted(BROKER_URLS))
def broker_url(request: pytest.FixtureRequest) -> str:
    """A real broker: Redis, and RabbitMQ (results then go to the SQLite backend under home)."""
    url = BROKER_URLS[request.param]
    if not url:
        var = "CLINCH_TEST_REDIS_URL" if request.param == "redis" else "CLINCH_TEST_AMQP_URL"
        pytest.skip(f"set {var} to run a worker on {request.param} (.ci/run does)")
    return url


@pytest.fixture
def redis_settings(clean_env: None, model_home: Path, broker_url: str) -> Settings:
    """Settings of the test process: the same home and broker as the worker's."""
    del clean_env
    return Settings(home=model_home, broker_url=broker_url, _env_file=None)


@pytest.fixture
def worker(
    redis_settings: Settings, tmp_path: Path, broker_url: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`clinch worker` consuming both queues: in this test it alone opens the vector store."""
    log = tmp_path / "worker.log"
    env = _process_env(redis_settings.resolved_home, CLINCH_BROKER_URL=broker_url)
    process = _spawn(["worker", "--queues", "default,vectors"], env=env, cwd=tmp_path, log=log)
    try:
        yield process, log
    finally:
        _stop(process)
        _kill_group(process)


def _wait(result: AsyncResult, worker: tuple[subprocess.Popen[bytes], Path]) -> None:
    # Poll rather than .get(): an embedded worker earlier in this process marks it as a
    # worker, where Celery refuses to block on a result.
    process, log = worker
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while not result.ready():
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"no result in {TASK_TIMEOUT_S}s (state {result.state}):\n{_tail(log)}")
        time.sleep(0.2)


def _ingests_by_task_name(
    redis_settings: Settings,
    worker: tuple[subprocess.Popen[bytes], Path],
    tmp_path: Path,
    broker_url: str,
) -> None:
    """Ingest by task name, then stop the worker and read the store it owned."""
    folder = _docs(tmp_path / "kb", {"ledger": "quibbleframe", "atlas": "mornington"})
    celery = create_celery(redis_settings)
    if broker_url.startswith("redis"):
        assert celery.conf.result_backend == broker_url
    else:
        assert str(celery.conf.result_backend).startswith("db+sqlite:")

    first = celery.send_task("ingestion.ingest_source", args=[str(folder), "public", None, False])
    _wait(first, worker)
    assert first.state == "SUCCESS", _tail(worker[1])
    summary = first.result
    assert summary["root"] == str(folder.resolve())
    assert summary["counts"] == {
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "failed": 0,
    }
    status = job_status(celery, first.id)
    assert (status.state, status.done, status.total) == ("succeeded", 2, 2)

    again = celery.send_task("ingestion.ingest_source", args=[str(folder), "public", None, False])
    _wait(again, worker)
    assert again.result["counts"]["unchanged"] == 2

    missing = celery.send_task("ingestion.ingest_source", args=[str(tmp_path / "gone")])
    _wait(missing, worker)
    assert missing.state == "FAILURE"
    failed = job_status(celery, missing.id)
    assert failed.state == "failed"
    assert "does not exist" in str(failed.error)

    # Once the worker has exited, the store it owned opens here and holds its chunks.
    assert _stop(worker[0]) == 0, _tail(worker[1])
    clients = open_clients(redis_settings)
    try:
        hits = search(
            "quibbleframe", embedder=clients.embedder, store=clients.store, audience="prospect"
        )
    finally:
        clients.close()
    assert hits
    assert hits[0].source == "ledger.md"


@pytest.mark.integration
@pytest.mark.slow
# RabbitMQ here; Redis runs the same ingest on the worker of the rescoring test below.
@pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True)
def test_worker_process_ingests_by_task_name(
    redis_settings: Settings,
    worker: tuple[subprocess.Popen[bytes], Path],
    tmp_path: Path,
    broker_url: str,
) -> None:
    _ingests_by_task_name(redis_settings, worker, tmp_path, broker_url)


def _promote_simulated_model(home: Path) -> str:
    """Train on simulated leads' records (no store needed) and make it the current model."""
    end = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        row
        for n, (_lead, events) in enumerate(simulate(leads=3000, seed=3, end=end, days=200))
        if (
            row := observe_lead(
                simulated_record(n, events, as_of=end), horizon_days=30, observe_days=7, now=end
            )
        )
        is not None
    ]
    registry = ModelRegistry(home / "models" / "scoring")
    version = registry.register(train(table_from_rows(rows, horizon_days=30), FAST), command="t")
    registry.promote(version.name, force=True)
    return version.name


@pytest.mark.integration
@pytest.mark.slow
# Redis only: RabbitMQ's transport is proven by the ingest test, and each worker start costs
# 10-30 s, so this one worker also routes what it scores and runs the ingest tasks.
@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_worker_process_rescores_routes_and_ingests_on_redis(
    redis_settings: Settings,
    worker: tuple[subprocess.Popen[bytes], Path],
    tmp_path: Path,
    broker_url: str,
) -> None:
    version = _promote_simulated_model(redis_settings.resolved_home)
    engine, sessions = open_database(redis_settings)
    now = datetime.now(UTC)
    events = [
        EventIn(event_id=f"w{n}", type="pricing_view", occurred_at=now, email=f"p{n}@acme.io")
        for n in range(3)
    ]
    with unit_of_work(sessions) as session:
        ids = sorted(ingest_events(session, batch=events, received_at=now).touched_lead_ids)
    celery = create_celery(redis_settings)

    touched = celery.send_task("scoring.rescore_leads", args=[ids])
    _wait(touched, worker)
    assert touched.result == len(ids), _tail(worker[1])
    again = celery.send_task("scoring.rescore_leads", args=[ids])
    _wait(again, worker)
    assert again.result == 0  # nothing new since: the burst is scored once
    everyone = celery.send_task("scoring.rescore_all")
    _wait(everyone, worker)
    assert everyone.result == 1  # one chunk queued for three leads
    with sessions() as session:
        scores = latest_scores(session, lead_ids=ids)
    engine.dispose()
    assert {s.model_version for s in scores.values()} == {version}
    assert all(s.events_seen == 1 for s in scores.values())
    # The same worker routes what it scores: a prospect asking for a person reaches a webhook.
    _routes_to_a_signed_webhook(redis_settings, worker)
    # Last, as it ends by stopping the worker to open the vector store the worker owned.
    _ingests_by_task_name(redis_settings, worker, tmp_path, broker_url)


# --- clinch up ------------------------------------------------------------------------------


def _left_running(processes: set[int]) -> list[int]:
    return sorted(pid for pid in processes if _running(pid))


@pytest.mark.slow
def test_up_serves_until_a_signal_stops_it_leaving_no_processes(
    clean_env: None, model_home: Path, tmp_path: Path
) -> None:
    del clean_env
    home = model_home
    port = _free_port()
    log = tmp_path / "up.log"
    env = _process_env(home, CLINCH_API_PORT=str(port))
    started = time.monotonic()
    up = _spawn(["up"], env=env, cwd=tmp_path, log=log)
    try:
        health: dict[str, object] | None = None
        while time.monotonic() - started < HEALTHY_WITHIN_S and up.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if response.status_code == 200:
                health = response.json()
                break
        assert health is not None, f"no /healthz within {HEALTHY_WITHIN_S}s:\n{_tail(log)}"
        assert health["status"] == "ok"
        assert health["vector_backend"] == "qdrant-edge"

        processes = _descendants(up.pid)
        # The API, beat and the worker, at least (the worker also forks its pool).
        assert len(processes) >= 3, _tail(log)

        # To `clinch up` alone, not its group: it must stop the others itself.
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=20 + 3 * STOP_GRACE_S)
        assert code == 0, _tail(log)
        assert "stopping Clinch" in log.read_text()
        left = _left_running(processes)
        assert not left, f"still running after `clinch up` exited: {left}\n{_tail(log)}"
        assert (home / "local-admin.key").exists()
    finally:
        if up.poll() is None:
            _kill_group(up)


@pytest.mark.slow
def test_up_stops_by_itself_after_its_duration_leaving_no_processes(
    clean_env: None, model_home: Path, tmp_path: Path
) -> None:
    del clean_env
    log = tmp_path / "up.log"
    env = _process_env(model_home, CLINCH_API_PORT=str(_free_port()))
    started = time.monotonic()
    up = _spawn(["up", "--for", str(UP_FOR_S)], env=env, cwd=tmp_path, log=log)
    try:
        processes: set[int] = set()
        while len(processes) < 3 and up.poll() is None:
            time.sleep(0.2)
            processes = _descendants(up.pid)
        # The API, beat and the worker, still starting when the duration ends.
        assert len(processes) >= 3, _tail(log)

        code = up.wait(timeout=UP_FOR_S + 20 + 3 * STOP_GRACE_S)
        assert code == 0, _tail(log)
        assert time.monotonic() - started >= UP_FOR_S
        assert "stopping Clinch" in log.read_text()
        left = _left_running(processes)
        assert not left, f"still running after `clinch up` exited: {left}\n{_tail(log)}"
    finally:
        if up.poll() is None:
            _kill_group(up)


# --- routing: event → score → route → signed webhook, through a real worker -----------------

_ALWAYS_ON_REPS = """
reps:
  - {name: Owl One, email: owl1@q.test, team: sales, segments: [mid-market, self-serve,
     enterprise], timezone: UTC, working_days: [mon, tue, wed, thu, fri, sat, sun],
     working_hours: "00:00-23:59"}
"""


class _Hooks(BaseHTTPRequestHandler):
    """Keeps every post it receives on the server."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


def _routes_to_a_signed_webhook(
    redis_settings: Settings, worker: tuple[subprocess.Popen[bytes], Path]
) -> None:
    """A lead who asks for a person: rescored, routed and notified by the worker, signed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    server.posts = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = redis_settings.resolved_home
    install_rules(REPO / "demo" / "routing.yaml", target=redis_settings.routing_rules_path)
    engine, sessions = open_database(redis_settings)
    secret = new_secret()
    now = datetime.now(UTC)
    with unit_of_work(sessions) as session:
        upsert_reps(session, reps=parse_reps(_ALWAYS_ON_REPS))
        session.add(
            WebhookEndpoint(
                team="sales",
                url=f"http://127.0.0.1:{server.server_address[1]}/hook",
                secret=secret,
                active=True,
            )
        )
        asks = [
            EventIn("r1", "form_submit", now, email="jo@buyer.io", properties={"country": "US"}),
            EventIn("r2", "pricing_view", now, email="jo@buyer.io"),
            EventIn("r3", "handoff_requested", now, email="jo@buyer.io"),
        ]
        ids = sorted(ingest_events(session, batch=asks, received_at=now).touched_lead_ids)
    # As the API does after an event; the hard rule makes the lead hot whatever its score.
    create_celery(redis_settings).send_task("scoring.rescore_leads", args=[ids])
    deadline = time.monotonic() + TASK_TIMEOUT_S
    posts: list[tuple[dict[str, str], bytes]] = server.posts  # type: ignore[attr-defined]
    while not posts and time.monotonic() < deadline and worker[0].poll() is None:
        time.sleep(0.2)
    server.shutdown()
    assert posts, f"no webhook arrived:\n{_tail(worker[1])}"
    headers, body = posts[0]
    assert verify(secret, body, headers["X-Clinch-Signature"], now=datetime.now(UTC))
    payload = json.loads(body)
    assert (payload["event"], payload["lead"]["id"], payload["assignment"]["band"]) == (
        "lead.assigned",
        ids[0],
        "hot",
    )
    assert payload["assignment"]["reasons"][0] == "asked to talk to a person"
    time.sleep(1.0)  # the worker records the delivery just after the receiver answers
    with sessions() as session:
        states = {n.channel: n.status for n in session.scalars(select(Notification))}
    engine.dispose()
    assert states == {"webhook": "delivered", "email": "delivered"}
    assert list((home / "outbox").glob("*.eml")), "the rep's email went to the outbox"
