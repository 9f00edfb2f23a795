"""Latency figures: percentiles and summaries of samples in milliseconds (pure functions)."""

from __future__ import annotations

import math
from typing import Iterable, Sequence


def percentile(samples: Sequence[float], pct: float) -> float | None:
    """The `pct`-th percentile (0 < pct <= 100) of `samples` by the nearest-rank method.

    The result is an observed sample: the smallest value with at least `pct` % of the
    samples at or below it (so p99 of 50 samples is the largest one). None when empty.
    """
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {pct}")
    if not samples:
        return None
    ordered = sorted(samples)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summarize(samples_ms: Iterable[float]) -> dict:
    """`{"count", "p50", "p95", "p99", "max", "mean"}` of latencies in ms (rounded to 0.1 ms;
    the figures are None when there is no sample)."""
    samples = list(samples_ms)
    if not samples:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(samples)
    return {"count": len(ordered),
            "p50": round(percentile(ordered, 50), 1), "p95": round(percentile(ordered, 95), 1),
            "p99": round(percentile(ordered, 99), 1), "max": round(ordered[-1], 1),
            "mean": round(sum(ordered) / len(ordered), 1)}


def rate(count: int, seconds: float) -> float | None:
    """`count` per second over `seconds` (rounded to 0.1), None for a non-positive duration."""
    if seconds <= 0:
        return None
    return round(count / seconds, 1)
