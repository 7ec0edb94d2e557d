"""`clinch up`: the API, a Celery worker and beat as one process group."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from rich.console import Console

_POLL_SECONDS = 0.5
_GRACE_SECONDS = 20


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "clinch", *args])


def _stop(children: dict[str, subprocess.Popen[bytes]], console: Console) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            console.print(f"[yellow]{name} did not stop in {_GRACE_SECONDS}s; killing it[/]")
            child.kill()
            child.wait()


def run_group(
    *, serve_args: list[str], worker: bool, duration_s: float | None, console: Console
) -> int:
    """Run the processes until Ctrl-C, a signal, the duration, or one of them exits."""
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = {"api": _spawn(["serve", *serve_args]), "beat": _spawn(["beat"])}
    if worker:
        children["worker"] = _spawn(["worker"])
    started = time.monotonic()
    code = 0
    while not stopping:
        time.sleep(_POLL_SECONDS)
        if duration_s is not None and time.monotonic() - started >= duration_s:
            break
        dead = {n: c.returncode for n, c in children.items() if c.poll() is not None}
        if dead:
            console.print(f"[red]stopped because a process exited: {dead}[/]")
            code = 1
            break
    console.print("stopping Clinch…")
    _stop(children, console)
    return code
