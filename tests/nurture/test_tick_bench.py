"""The tick benchmark on a small store: every enrollment sent once, figures consistent."""

from __future__ import annotations

from clinch.bench.nurture_bench import tick_benchmark


def test_the_tick_benchmark_sends_each_enrollment_once_and_reports_ratios() -> None:
    result = tick_benchmark(300, batch_size=100)
    assert (result["claimed"], result["sends_written"], result["errors"]) == (300, 300, 0)
    assert result["steps"] == 600  # the email, then entering the wait
    assert result["ratio_to_inserts"] > 0
    assert result["ratio_to_all_writes"] >= result["ratio_to_inserts"]
