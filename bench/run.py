"""`make bench`: load scenarios against the production shape, with CPU, database and memory.

    python -m bench.run [--scenarios browse,cart,...] [--seconds 20] [--users 16] [--rate 80] ...
    python -m bench.run --smoke     # every scenario for about 2.5 s (`make bench-smoke`)

Starts gunicorn + dramatiq (core queues, and the `fraud` + `ml` queues in a model worker
of their own) + the scheduler on PostgreSQL (database `cartwheel_bench`, recreated) and
Redis (db 13) with tests.e2e.stack.ProductionStack, seeds products, customers and an admin
through the API (bench.seed) and, with `--large-shop`, a large shop through bulk SQL
(bench.large_shop), then runs each scenario (bench.scenarios) in a load
generator process of its own (bench.loadgen). Around each scenario it samples:

- CPU by role from /proc (bench.cpu): from the start of the load until the stack is quiet
  again (bench.settle: no queued or running job), so the jobs a checkout sets off count;
- pg_stat_database of the bench database over the same work, for the order scenarios
  (bench.pgstats; a reading waits until PostgreSQL has flushed its counters, about 10 s);
- in the order scenarios, the orders placed (checkout jobs that succeeded): CPU and
  database figures are per order placed there, per completed operation elsewhere;
- peak RSS of every process (VmHWM), every second and after each scenario.

The stack is warmed up first (bench.seed.warm_up), and its idle CPU measured
(`idleCpuMsPerSecond`: what the roles burn with nothing to do, included in every
scenario's figures).

Output: exactly one JSON line on stdout, starting `{"bench":"cartwheel"` (everything, see
bench.report; under make, pip's output may come first when a requirements file changed),
the readable table on stderr (progress lines too). `bench-results/<timestamp>/` keeps `result.json`,
`report.txt`, each scenario's spec and raw samples (`<scenario>.raw.json`, latencies in
ms), and every process's log. Exit status 1 when the stack cannot run, or with `--strict`
(`--smoke` implies it) when a scenario had errors or no operation (bench.report.problems).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from bench import cpu, large_shop, pgstats, report, seed, settle, stores_geo
from bench.scenarios import SCENARIOS
from tests.e2e.stack import (PG_ADMIN_URL, REDIS_BASE_URL, ROOT, ProductionStack, drop_database,
                             postgres_available, redis_available)

DATABASE = "cartwheel_bench"
REDIS_DB = 13
DATABASE_URL = urlparse(PG_ADMIN_URL)._replace(path=f"/{DATABASE}").geturl()
REDIS_URL = f"{REDIS_BASE_URL}/{REDIS_DB}"
SETTLE_TIMEOUT_SECONDS = 180  # an overloaded open loop leaves a backlog of jobs behind
ORDER_SCENARIOS = ",".join(name for name, s in SCENARIOS.items() if s.orders)
# The smoke run measures the database on one order scenario: each measured scenario costs
# PostgreSQL's 10 s flush delay (bench.pgstats).
SMOKE = {"seconds": 2.5, "users": 4, "rate": 10.0, "products": 10, "drain_seconds": 5.0, "idle_seconds": 1.0,
         "db_scenarios": "checkout_guest", "strict": True}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, run in this order (default: {','.join(SCENARIOS)})")
    parser.add_argument("--seconds", type=float, default=20.0, help="window of each scenario (s)")
    parser.add_argument("--users", type=int, default=16, help="closed-loop users")
    parser.add_argument("--rate", type=float, default=80.0, help="checkout_open arrivals per second")
    parser.add_argument("--drain-seconds", type=float, default=10.0,
                        help="how long open-loop operations under way at the end of the window may still take")
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--customers", type=int, default=None, help="registered customers (default: --users)")
    parser.add_argument("--large-shop", action="store_true",
                        help=f"also bulk-seed {large_shop.PRODUCTS:,} products, {large_shop.CUSTOMERS:,} customers and "
                             f"{large_shop.ORDERS:,} historical orders (bench.large_shop); the scenarios browse and "
                             f"buy {large_shop.SAMPLE:,} of those products besides --products")
    parser.add_argument("--job-wait", choices=("auto", "poll", "prefer"), default="auto",
                        help="follow jobs with Prefer: wait=10 or by polling; auto: Prefer in the closed loops, "
                             "polling in the open loop (see bench.loadgen)")
    parser.add_argument("--poll-ms", type=float, default=50.0, help="first job poll after this long (ms)")
    parser.add_argument("--poll-max-ms", type=float, default=400.0, help="longest interval between polls (ms)")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle CPU measured before the scenarios")
    parser.add_argument("--db-scenarios", default=ORDER_SCENARIOS,
                        help=f"scenarios measured in pg_stat_database, per operation (default: {ORDER_SCENARIOS})")
    parser.add_argument("--pg-flush-seconds", type=float, default=pgstats.FLUSH_SECONDS,
                        help="idle time before reading pg_stat_database (PostgreSQL flushes idle backends at 10 s)")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
    parser.add_argument("--web-threads", type=int, default=int(os.environ.get("WEB_THREADS", 8)))
    parser.add_argument("--worker-processes", type=int, default=int(os.environ.get("WORKER_PROCESSES", 2)))
    parser.add_argument("--worker-threads", type=int, default=int(os.environ.get("WORKER_THREADS", 8)))
    parser.add_argument("--smoke", action="store_true",
                        help="tiny run of every scenario: " + ", ".join(f"{k}={v}" for k, v in SMOKE.items()))
    parser.add_argument("--strict", action="store_true", help="exit 1 when a scenario had errors or no operation")
    parser.add_argument("--out", type=Path, default=None, help="results directory (default bench-results/<ts>)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)
    if args.smoke:  # smoke sizes, unless given explicitly
        parser.set_defaults(**SMOKE)
        args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        parser.error(f"unknown scenarios {unknown}; choose among {', '.join(SCENARIOS)}")
    args.scenario_list = names
    args.db_list = [n.strip() for n in args.db_scenarios.split(",") if n.strip()]
    args.customers = args.customers or args.users
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class RssSampler(threading.Thread):
    """Samples the peak RSS of every process of the bench once a second (bench.cpu.PeakRss)."""

    def __init__(self, roles):
        super().__init__(daemon=True)
        self.roles = roles  # () -> {role: [pid]}
        self.peaks = cpu.PeakRss()
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def sample(self) -> None:
        with self.lock:
            self.peaks.sample(self.roles())

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a process went away mid-read; next time
                pass


class Bench:
    """One run: the stack, its seed, the meters, and each scenario's figures."""

    def __init__(self, args: argparse.Namespace, out: Path):
        self.args, self.out = args, out
        self.stack = ProductionStack(out, DATABASE, REDIS_DB, stripe=False, web_workers=args.web_workers,
                                     web_threads=args.web_threads, worker_processes=args.worker_processes,
                                     worker_threads=args.worker_threads, split_ml_worker=True,
                                     extra_env={"DB_POOL_SIZE": str(max(args.web_threads, args.worker_threads) + 4),
                                                "RATE_LIMITS_ENABLED": "false"})  # the load is on purpose
        self.loadgen_pid: int | None = None
        self.rss = RssSampler(self.rss_roles)
        self.pg = pgstats.PgMeter(PG_ADMIN_URL, DATABASE, args.pg_flush_seconds)
        self.data: dict = {}
        self.postmaster: int | None = None

    def roles(self) -> dict[str, list[int]]:
        """The processes whose CPU is measured, by role (bench.cpu.stack_role_pids)."""
        return cpu.stack_role_pids(self.stack, self.loadgen_pid, DATABASE, urlparse(REDIS_URL).port, self.postmaster)

    def rss_roles(self) -> dict[str, list[int]]:
        """The processes whose peak RSS is reported: PostgreSQL's are the bench database's
        backends only (other clients' are not ours to weigh)."""
        roles = self.roles()
        roles["postgres"] = roles.pop("postgresBench", [])
        return roles

    def quiet(self) -> dict:
        """Wait until the stack has finished what was asked of it (bench.settle); from then
        on the database's counters need `--pg-flush-seconds` to be complete."""
        answer = settle.wait_quiet(REDIS_URL, DATABASE_URL, timeout=SETTLE_TIMEOUT_SECONDS)
        self.pg.touched()
        return answer

    def start(self) -> None:
        log(f"starting the production shape (results in {_shown(self.out)}/)")
        self.postmaster = pgstats.postmaster_pid(PG_ADMIN_URL)
        self.stack.start()
        log(f"seeding {self.args.products} products, {self.args.customers} customers and an admin")
        self.data = seed.seed(self.stack, self.args.products, self.args.customers)
        if self.args.large_shop:
            log(f"bulk-seeding the large shop ({large_shop.PRODUCTS:,} products, {large_shop.CUSTOMERS:,} customers, "
                f"{large_shop.ORDERS:,} orders)")
            written = large_shop.seed_large_shop(DATABASE_URL)
            self.data["products"] += written.pop("sample")
            self.data["largeShop"] = written
            log(f"large shop written: {written['seconds']}")
        if "stores_nearby" in self.args.scenario_list:
            log(f"bulk-seeding {stores_geo.STORES:,} stores around {stores_geo.CENTRE} (bench.stores_geo)")
            self.data["stores"] = stores_geo.seed_stores(DATABASE_URL)
        (self.out / "seed.json").write_text(json.dumps(self.data))
        log("warming up (a few of each operation)")
        seed.warm_up(self.stack, self.data)
        log(f"VACUUM ANALYZE, as autovacuum keeps a live shop's tables: {pgstats.vacuum_analyze(DATABASE_URL)} s")
        self.rss.start()
        self.quiet()

    def idle_cpu(self) -> dict[str, float]:
        """CPU of each role while nothing is asked of the stack (ms per second)."""
        seconds = self.args.idle_seconds
        before = cpu.snapshot(self.roles())
        time.sleep(seconds)
        ticks = cpu.delta_ticks(before, cpu.snapshot(self.roles()))
        return {role: round(cpu.ticks_to_ms(value) / seconds, 1) for role, value in ticks.items() if role != "loadgen"}

    def scenario(self, name: str) -> dict:
        """Run one scenario in a load-generator process; returns its summary."""
        args = self.args
        spec = {"scenario": name, "base": self.stack.base, "users": args.users, "seconds": args.seconds,
                "rate": args.rate, "drainSeconds": args.drain_seconds, "products": self.data["products"],
                "customers": self.data["customers"], "adminToken": self.data["adminToken"],
                "options": {"job_wait": args.job_wait, "poll_seconds": args.poll_ms / 1000,
                            "poll_max_seconds": args.poll_max_ms / 1000}, "seed": 7}
        spec_path, raw_path = self.out / f"{name}.spec.json", self.out / f"{name}.raw.json"
        spec_path.write_text(json.dumps(spec))
        measure_db = name in args.db_list
        pg_before = self.pg.read_settled() if measure_db else None
        with open(self.out / f"loadgen-{name}.log", "wb") as errors:
            proc = subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(spec_path), str(raw_path)],
                                    cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                    bufsize=0, env={**os.environ, "PYTHONPATH": str(ROOT)})
            self.loadgen_pid = proc.pid
            try:
                _expect_line(proc, "ready", 120)
                before = cpu.snapshot(self.roles())
                started = time.monotonic()
                started_utc = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
                proc.stdin.write(b"go\n")
                proc.stdin.flush()
                budget = args.seconds + args.drain_seconds + 90
                _expect_line(proc, "done", budget)
                quiet = self.quiet()
                after = cpu.snapshot(self.roles())
                wall = time.monotonic() - started
                self.rss.sample()
            finally:
                proc.stdin.close()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
                self.loadgen_pid = None
        pg_delta = pgstats.delta(pg_before, self.pg.read_settled()) if measure_db else None
        orders = settle.succeeded_since(DATABASE_URL, "checkout", started_utc) if SCENARIOS[name].orders else None
        raw = json.loads(raw_path.read_text())
        return report.scenario_summary(raw, users=args.users, cpu_ticks=cpu.delta_ticks(before, after),
                                       cpu_wall_seconds=wall, settle=quiet, pg_delta=pg_delta, orders_placed=orders)

    def stop(self) -> None:
        self.rss.stopped.set()
        self.stack.stop()
        if not self.args.keep:
            try:
                drop_database(DATABASE)
            except Exception:  # noqa: BLE001 - best effort
                pass


def _expect_line(proc: subprocess.Popen, word: str, timeout: float) -> None:
    """Wait for the load generator to print `word`; raises RuntimeError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the load generator exited ({proc.wait()}) before '{word}'")
            if line.decode().strip() == word:
                return
        elif proc.poll() is not None:
            raise RuntimeError(f"the load generator exited ({proc.returncode}) before '{word}'")
    raise RuntimeError(f"the load generator did not say '{word}' within {timeout:.0f}s")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not (postgres_available() and redis_available()):
        print(json.dumps({"error": "make bench needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379"}))
        return 1
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    out = args.out or ROOT / "bench-results" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    threads = args.web_workers * args.web_threads
    if args.job_wait != "poll" and args.users > threads:
        log(f"warning: {args.users} users waiting with Prefer: wait hold all {threads} API threads "
            "(use --job-wait poll, or more --web-threads)")
    bench = Bench(args, out)
    t0 = time.monotonic()
    scenarios: dict[str, dict] = {}
    idle = {}
    try:
        bench.start()
        idle = bench.idle_cpu()
        for name in args.scenario_list:
            log(f"{name}: " + (f"{args.rate:g}/s" if SCENARIOS[name].open_loop else f"{args.users} users")
                + f" for {args.seconds:g}s")
            try:
                scenarios[name] = bench.scenario(name)
            except Exception as exc:  # noqa: BLE001 - report it; the next scenarios still run
                log(f"{name} failed: {type(exc).__name__}: {exc}")
                scenarios[name] = {"failed": f"{type(exc).__name__}: {exc}"}
                bench.quiet()  # what it left running must not weigh on the next one
            s = scenarios[name]
            if not s.get("failed"):
                log(f"{name}: {s['operations']} operations, {s['errors']} errors, {s['perSecond']}/s, "
                    f"p99 {s['latencyMs']['p99']} ms")
        bench.rss.sample()
        log(f"scenarios done after {time.monotonic() - t0:.0f}s; stopping the stack")
    except Exception as exc:  # noqa: BLE001 - report, with the processes' logs
        print(bench.stack.logs(), file=sys.stderr)
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "logs": _shown(out)}))
        return 1
    finally:
        bench.stop()

    result = {
        "bench": "cartwheel", "startedAt": started_at, "seconds": round(time.monotonic() - t0, 1),
        "config": {"scenarios": args.scenario_list, "seconds": args.seconds, "users": args.users,
                   "rate": args.rate, "drainSeconds": args.drain_seconds, "products": args.products,
                   "customers": args.customers, "largeShop": bench.data.get("largeShop"), "jobWait": args.job_wait, "pollMs": [args.poll_ms, args.poll_max_ms], "dbScenarios": args.db_list,
                   "webWorkers": args.web_workers, "webThreads": args.web_threads,
                   "workerProcesses": args.worker_processes, "workerThreads": args.worker_threads,
                   "modelWorker": "1 x 2 threads (fraud, ml)", "cpus": os.cpu_count(), "clkTck": cpu.CLK_TCK},
        "idleCpuMsPerSecond": idle,
        "scenarios": scenarios,
        "peakRssMB": {"byRole": bench.rss.peaks.by_role(), "processes": bench.rss.peaks.by_process()},
        "problems": report.problems(scenarios),
        "logs": _shown(out),
    }
    line = json.dumps(result, separators=(",", ":"))
    text = report.render(result)
    (out / "result.json").write_text(line + "\n")
    (out / "report.txt").write_text(text + "\n")
    print(line, flush=True)
    print("\n" + text, file=sys.stderr, flush=True)
    if result["problems"] and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
