"""Latency percentiles of repeated calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np


def latencies_ms(
    call: Callable[[str], object], queries: Sequence[str], *, rounds: int
) -> list[float]:
    """Time each call of each query, several rounds, after one warm-up pass."""
    for q in queries[:5]:
        call(q)
    samples: list[float] = []
    for _ in range(rounds):
        for q in queries:
            start = time.perf_counter()
            call(q)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def p50_p95(samples: Sequence[float]) -> tuple[float, float]:
    """Return the median and 95th percentile."""
    arr = np.asarray(samples)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))
