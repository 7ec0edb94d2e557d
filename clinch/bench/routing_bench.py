"""Event that makes a lead hot → its rep's webhook received, with `clinch up` on embedded defaults.

Each prospect asks for a person (a `handoff_requested` event: the hard rule makes the lead hot).
Two times are taken from the same POST: until the lead's score is stored (the reference, the
scoring hop every lead event takes) and until the rep's signed webhook reaches a local receiver.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from clinch.bench.event_latency import prepare_home, running_up
from clinch.bench.lead_matrix import lead_matrix
from clinch.routing_rules import install_rules
from leads.db import make_engine, make_session_factory
from leads.models import WebhookEndpoint
from leads.reps import upsert_reps
from leads.reps_file import parse_reps
from routing.webhooks import new_secret, verify
from scoring.training import TrainingConfig, train

_DEMO_RULES = Path(__file__).resolve().parents[2] / "demo" / "routing.yaml"
_TIMEOUT_S = 10.0
_POLL_S = 0.002
_TRAIN_ROWS = 20_000
# Reps on every day and hour, with room for every benchmark lead: the figure must not depend on
# the hour the benchmark runs at.
_REPS = """
reps:
  - {name: Bench One, email: one@bench.test, team: sales, segments: [enterprise, mid-market,
     self-serve], timezone: UTC, working_days: [mon, tue, wed, thu, fri, sat, sun],
     working_hours: "00:00-23:59", capacity: 10000}
  - {name: Bench Two, email: two@bench.test, team: sales, segments: [enterprise, mid-market,
     self-serve], timezone: UTC, working_days: [mon, tue, wed, thu, fri, sat, sun],
     working_hours: "00:00-23:59", capacity: 10000}
"""


@dataclass
class _Receiver:
    """A local webhook receiver: when each lead's signed notice arrived."""

    secret: str
    arrived: dict[int, float] = field(default_factory=dict)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                at = time.perf_counter()
                header = self.headers.get("X-Clinch-Signature", "")
                ok = verify(receiver.secret, body, header, now=datetime.now(UTC))
                with receiver.lock:
                    if not ok:
                        receiver.bad_signatures += 1
                    else:
                        lead = json.loads(body)["lead"]["id"]
                        receiver.arrived.setdefault(int(lead), at)
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _prepare(home: Path, receiver_url: str, secret: str) -> str:
    matrix = lead_matrix(home=home, rows=_TRAIN_ROWS, seed=11, console=Console(quiet=True))
    key = prepare_home(home, train(matrix.table, TrainingConfig()))
    install_rules(_DEMO_RULES, target=home / "routing.yaml")
    engine = make_engine(f"sqlite:///{home / 'clinch.sqlite'}")
    try:
        with make_session_factory(engine)() as session:
            upsert_reps(session, reps=parse_reps(_REPS))
            session.add(WebhookEndpoint(team="sales", url=receiver_url, secret=secret, active=True))
            session.commit()
    finally:
        engine.dispose()
    return key


def _scored(db: sqlite3.Connection, lead_id: int) -> bool:
    row = db.execute("SELECT 1 FROM scores WHERE lead_id = ? LIMIT 1", (lead_id,)).fetchone()
    return row is not None


def _one(
    client: httpx.Client, db: sqlite3.Connection, key: str, receiver: _Receiver, n: int
) -> tuple[float, float]:
    event = {
        "event_id": f"bench-hot-{n}",
        "type": "handoff_requested",
        "occurred_at": datetime.now(UTC).isoformat(),
        "email": f"hot-{n}@prospect{n}.example",
        "properties": {"country": "US", "team_size": "51-200"},
    }
    started = time.perf_counter()
    response = client.post("/v1/events", json={"events": [event]}, headers={"X-API-Key": key})
    response.raise_for_status()
    lead_id = int(response.json()["results"][0]["lead_id"])
    scored = notified = float("nan")
    while time.perf_counter() - started < _TIMEOUT_S:
        now = time.perf_counter()
        if scored != scored and _scored(db, lead_id):
            scored = (now - started) * 1000
        with receiver.lock:
            arrived = receiver.arrived.get(lead_id)
        if arrived is not None:
            notified = (arrived - started) * 1000
            if scored == scored:
                break
        time.sleep(_POLL_S)
    return scored, notified


def _measure(home: Path, events: int) -> tuple[list[float], list[float], int]:
    receiver = _Receiver(secret=new_secret())
    server = receiver.serve()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/clinch"
    key = _prepare(home, url, receiver.secret)
    scored: list[float] = []
    notified: list[float] = []
    try:
        with running_up(home) as (client, db):
            for n in range(-5, events):  # warm-up: the worker loads the model and rules
                s, w = _one(client, db, key, receiver, n)
                if n >= 0:
                    scored.append(s)
                    notified.append(w)
                time.sleep(0.05)
    finally:
        server.shutdown()
    return scored, notified, receiver.bad_signatures


def _pct(values: list[float]) -> dict[str, float]:
    kept = np.asarray([v for v in values if v == v])
    if not len(kept):
        return {"p50": float("nan"), "p95": float("nan")}
    return {
        "p50": round(float(np.percentile(kept, 50)), 1),
        "p95": round(float(np.percentile(kept, 95)), 1),
    }


def run_routing_bench(*, events: int, console: Console) -> dict[str, Any]:
    """Run the event → webhook benchmark and print its table."""
    console.print(f"  {events} hot leads through `clinch up`, each until its rep's webhook")
    with tempfile.TemporaryDirectory(prefix="clinch-bench-") as tmp:
        scored, notified, bad = _measure(Path(tmp) / "home", events)
    score, hook = _pct(scored), _pct(notified)
    result = {
        "events": events,
        "missed_scores": sum(1 for v in scored if v != v),
        "missed_webhooks": sum(1 for v in notified if v != v),
        "bad_signatures": bad,
        "event_to_score_ms": score,
        "event_to_webhook_ms": hook,
        "webhook_p95_ratio_to_score_p95": round(hook["p95"] / score["p95"], 2),
        "target_webhook_p95_ms": 1000,
        "meets_target": hook["p95"] <= 1000,
    }
    table = Table("figure", "p50 ms", "p95 ms", title="routing: event → rep notified")
    table.add_row("event → score stored (reference)", str(score["p50"]), str(score["p95"]))
    table.add_row("event → webhook received", str(hook["p50"]), str(hook["p95"]))
    console.print(table)
    console.print(
        f"  webhook p95 / score p95 = {result['webhook_p95_ratio_to_score_p95']}; "
        f"missed {result['missed_webhooks']}; bad signatures {bad}"
    )
    return result
