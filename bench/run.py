"""`make bench`: load-test the production shape and print ONE JSON line of figures.

Starts gunicorn (gthread) + `dramatiq workers.app` + `python -m workers.scheduler`
on PostgreSQL (database `cartwheel_bench`, dropped and recreated) and Redis
(db 13), seeds a catalog through the API, then runs locust headless on the
loopback interface in two bounded phases:

1. browse: product list pages and product details (`BrowseUser`);
2. checkout: guest cart create, cart add, checkout with `Prefer: wait=10`
   (`CheckoutUser`); "checkout end-to-end" is POST /api/v1/orders to job
   `succeeded`.

Peak RSS is each API and worker process's VmHWM from /proc, sampled during
the run. Logs and locust CSVs go to `bench-results/<timestamp>/`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.e2e import flows
from tests.e2e.stack import (BIN, ROOT, Http, ProductionStack, drop_database, peak_rss_mb, postgres_available,
                             redis_available)

ADMIN_EMAIL = "bench-admin@cartwheel.test"
ADMIN_PASSWORD = "bench-admin-password-1"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browse-seconds", type=int, default=int(os.environ.get("BENCH_BROWSE_SECONDS", 20)))
    parser.add_argument("--checkout-seconds", type=int, default=int(os.environ.get("BENCH_CHECKOUT_SECONDS", 30)))
    parser.add_argument("--browse-users", type=int, default=int(os.environ.get("BENCH_BROWSE_USERS", 16)))
    parser.add_argument("--checkout-users", type=int, default=int(os.environ.get("BENCH_CHECKOUT_USERS", 16)))
    parser.add_argument("--max-requests", type=int, default=int(os.environ.get("BENCH_MAX_REQUESTS", 200_000)),
                        help="per phase")
    parser.add_argument("--products", type=int, default=int(os.environ.get("BENCH_PRODUCTS", 100)))
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
    parser.add_argument("--web-threads", type=int, default=int(os.environ.get("WEB_THREADS", 8)))
    parser.add_argument("--worker-processes", type=int, default=int(os.environ.get("WORKER_PROCESSES", 2)))
    parser.add_argument("--worker-threads", type=int, default=int(os.environ.get("WORKER_THREADS", 8)))
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return parser.parse_args(argv)


class RssSampler(threading.Thread):
    """Samples VmHWM of every process of the stack every 0.5 s (processes may come and go)."""

    def __init__(self, stack: ProductionStack):
        super().__init__(daemon=True)
        self.stack = stack
        self.peaks: dict[int, dict] = {}
        self.stopped = threading.Event()

    def roles(self) -> dict[int, str]:
        roles = {}
        if self.stack.api is not None:
            for pid in self.stack.api.pids():
                roles[pid] = "api gunicorn master" if pid == self.stack.api.pid else "api gunicorn worker"
        for proc in self.stack.workers:
            group = "ml" if "fraud" in proc.argv else "core"
            for pid in proc.pids():
                roles[pid] = f"dramatiq {group} main" if pid == proc.pid else f"dramatiq {group} worker"
        if self.stack.scheduler is not None:
            roles[self.stack.scheduler.pid] = "scheduler"
        return roles

    def sample(self) -> None:
        for pid, role in self.roles().items():
            mb = peak_rss_mb(pid)
            if mb is None:
                continue
            entry = self.peaks.setdefault(pid, {"process": role, "pid": pid, "peakRssMB": 0.0})
            entry["peakRssMB"] = round(max(entry["peakRssMB"], mb), 1)

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.sample()


def _proc_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids_named(*names: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def cpu_snapshot(stack: ProductionStack) -> dict[str, float]:
    """CPU seconds used so far by each role (PostgreSQL and Redis: every server process on the machine)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    roles = {
        "api": stack.api.pids() if stack.api else [],
        "workers": [pid for proc in stack.workers for pid in proc.pids()],
        "scheduler": [stack.scheduler.pid] if stack.scheduler else [],
        "postgres": _pids_named("postgres"),
        "redis": _pids_named("redis-server"),
    }
    snap = {role: sum(_proc_cpu_seconds(pid) for pid in pids) for role, pids in roles.items()}
    snap["locust"] = children.ru_utime + children.ru_stime  # waited-for children: the locust runs
    snap["wall"] = time.monotonic()
    return snap


def cpu_delta(before: dict, after: dict) -> dict:
    return {role: round(after[role] - before[role], 1) for role in before}


def seed_catalog(stack: ProductionStack, count: int, path: Path) -> None:
    """Create `count` products (one variant each, deep stock) through the API; writes the catalog file."""
    http = Http(stack.base)
    stack.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    token = flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    products = []
    for i in range(count):
        product_id, variant_id = flows.create_product(http, token, price=1000 + 25 * i, stock=1_000_000,
                                                      name=f"Bench Product {i:04d}")
        products.append({"id": product_id, "variantId": variant_id})
    path.write_text(json.dumps({"products": products}))


def run_locust(stack: ProductionStack, user_class: str, users: int, seconds: int, max_requests: int, catalog: Path,
               out: Path) -> dict[str, dict]:
    """Run one headless locust phase; returns {request name: stats row}."""
    prefix = out / user_class
    env = {**os.environ, "BENCH_CATALOG": str(catalog), "BENCH_MAX_REQUESTS": str(max_requests),
           "PYTHONPATH": str(ROOT)}
    argv = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), user_class, "--headless",
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--host", stack.base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
            "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    with open(out / f"locust-{user_class}.log", "wb") as log:
        subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120,
                       check=True)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}


def figures(row: dict | None, seconds: float | None = None) -> dict:
    """requests/s and p50/p95/p99 (ms) from a locust stats row."""
    if not row:
        return {"requests": 0}
    count = int(row["Request Count"])
    rate = float(row["Requests/s"])
    return {"requests": count, "failures": int(row["Failure Count"]), "perSecond": round(rate, 1),
            "p50ms": float(row["50%"]), "p95ms": float(row["95%"]), "p99ms": float(row["99%"])}


def main(argv=None) -> int:
    args = parse_args(argv)
    if not (postgres_available() and redis_available()):
        print(json.dumps({"error": "make bench needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379"}))
        return 1
    out = ROOT / "bench-results" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    stack = ProductionStack(out, "cartwheel_bench", 13, stripe=False, web_workers=args.web_workers,
                            web_threads=args.web_threads, worker_processes=args.worker_processes,
                            worker_threads=args.worker_threads, split_ml_worker=True,
                            extra_env={"DB_POOL_SIZE": str(max(args.web_threads, args.worker_threads) + 4)})
    sampler = RssSampler(stack)
    try:
        stack.start()
        catalog = out / "catalog.json"
        seed_catalog(stack, args.products, catalog)
        sampler.start()
        cpu = {}
        before = cpu_snapshot(stack)
        browse = run_locust(stack, "BrowseUser", args.browse_users, args.browse_seconds, args.max_requests,
                            catalog, out)
        middle = cpu_snapshot(stack)
        checkout = run_locust(stack, "CheckoutUser", args.checkout_users, args.checkout_seconds,
                              args.max_requests, catalog, out)
        after = cpu_snapshot(stack)
        cpu = {"browse": cpu_delta(before, middle), "checkout": cpu_delta(middle, after)}
        sampler.sample()
    except Exception as exc:  # noqa: BLE001 - report, with the processes' logs
        print(stack.logs(), file=sys.stderr)
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "logs": str(out)}))
        return 1
    finally:
        sampler.stopped.set()
        stack.stop()
        if not args.keep:
            try:
                drop_database("cartwheel_bench")
            except Exception:  # noqa: BLE001
                pass

    peaks = sorted(sampler.peaks.values(), key=lambda e: (e["process"], e["pid"]))
    result = {
        "browseAll": figures(browse.get("Aggregated")),
        "productList": figures(browse.get("product list")),
        "productDetail": figures(browse.get("product detail")),
        "cartAdd": figures(checkout.get("cart add")),
        "checkoutEndToEnd": figures(checkout.get("checkout end-to-end")),
        "checkoutPost": figures(checkout.get("checkout POST")),
        "peakRssMB": peaks,
        "maxPeakRssMB": max((e["peakRssMB"] for e in peaks), default=None),
        "cpuSeconds": cpu,
        "config": {"webWorkers": args.web_workers, "webThreads": args.web_threads,
                   "workerProcesses": args.worker_processes, "workerThreads": args.worker_threads,
                   "browseUsers": args.browse_users, "checkoutUsers": args.checkout_users,
                   "browseSeconds": args.browse_seconds, "checkoutSeconds": args.checkout_seconds,
                   "products": args.products, "cpus": os.cpu_count()},
        "logs": str(out.relative_to(ROOT)),
    }
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
