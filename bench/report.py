"""The bench's figures: one scenario's summary from its raw samples, the checks, and the table.

Units: latencies in ms, rates per second, CPU in ms per operation (`cpuMsPerOp`) or
seconds (`cpuSeconds`), database counters per operation (an order in the checkout
scenarios), memory in MB.

What an operation's figures include: everything the stack did from the start of the load
until it was quiet, divided by the operations (or orders placed). For a checkout that is
its requests, its job and the jobs it set off (fraud scoring, event fan-out,
notifications), following the job (`Prefer: wait` re-reads the job row every 5 to 25 ms;
polls are requests and transactions too), and the stack's idle work over the same time
(`idleCpuMsPerSecond` times `cpuWallSeconds`, spread over the operations).
"""

from __future__ import annotations

from bench import cpu, pgstats, stats

TIMING_KEYS = {"checkout": "checkoutMs", "checkout seen": "checkoutSeenMs", "job": "jobMs", "job seen": "jobSeenMs"}


def completed_in(completions: list[float], seconds: float) -> int:
    """How many completion times (s since the start) fall within the first `seconds`."""
    return sum(1 for t in completions if t <= seconds)


def scenario_summary(raw: dict, *, users: int | None, cpu_ticks: dict[str, int], cpu_wall_seconds: float,
                     settle: dict, pg_delta: dict | None, orders_placed: int | None = None,
                     clk_tck: int = cpu.CLK_TCK) -> dict:
    """Summary of one scenario.

    `raw` is bench.loadgen's result (`{"scenario", "loop", "recorded"}`), `cpu_ticks` the
    CPU per role between the start of the load and the moment the stack was quiet again
    (`cpu_wall_seconds` later), `settle` bench.settle.wait_quiet's answer, `pg_delta` the
    pg_stat_database counters over the same work (None when not measured), `orders_placed`
    the checkout jobs that succeeded (order scenarios; None otherwise).

    `operations` counts every completed operation (the drain included); `perSecond` is the
    operations completed within the window divided by the window. CPU and database figures
    are divided by `orders_placed` when given (`per` says which): the same number as
    `operations` in a closed loop, more in an overloaded open loop, whose abandoned
    operations may still have placed their order.
    """
    loop, rec = raw["loop"], raw["recorded"]
    window = loop["windowSeconds"]
    operations = len(rec["operations"])
    errors = rec["operationErrors"]
    elapsed = loop["elapsedSeconds"]
    summary = {
        "loop": "open" if "rate" in loop else "closed",
        "jobWait": raw.get("jobWait") if set(rec["timings"]) & set(TIMING_KEYS) else None,  # scenarios with jobs
        "users": None if "rate" in loop else users,
        "windowSeconds": window, "elapsedSeconds": elapsed,
        "operations": operations, "errors": errors,
        "perSecond": stats.rate(completed_in(rec["completions"], window), window),
        "latencyMs": _latency(rec["operations"]),
    }
    for name, key in TIMING_KEYS.items():
        if name in rec["timings"]:
            summary[key] = _latency(rec["timings"][name])
    if "rate" in loop:
        summary["open"] = {"plannedPerSecond": loop["rate"], "arrivals": loop["arrivals"],
                           "maxStartLagMs": loop["maxLagMs"], "unfinishedAtEnd": loop["unfinishedAtEnd"],
                           "abandoned": loop["abandoned"]}
    summary["requests"] = {
        name: {"count": len(samples), "errors": rec["requestErrors"].get(name, 0),
               "perSecond": stats.rate(len(samples), elapsed), **_latency(samples, count=False)}
        for name, samples in sorted(rec["requests"].items())}
    for name, count in rec["requestErrors"].items():
        summary["requests"].setdefault(name, {"count": 0, "errors": count})
    summary["pollsPerOp"] = round(rec["polls"] / operations, 2) if operations else None
    divisor = operations if orders_placed is None else orders_placed
    if orders_placed is not None:
        summary["ordersPlaced"] = orders_placed
    summary["per"] = "order placed" if orders_placed is not None else "operation"
    summary["cpuMsPerOp"] = cpu.per_operation_ms(cpu_ticks, divisor, clk_tck)
    summary["cpuSeconds"] = cpu.seconds_by_role(cpu_ticks, clk_tck)
    summary["cpuWallSeconds"] = round(cpu_wall_seconds, 2)
    summary["settle"] = settle
    if pg_delta is not None:
        summary["dbPerOp"] = pgstats.per_operation(pg_delta, divisor)
        summary["dbTotals"] = pg_delta
    summary["errorSamples"] = rec["errors"][:5]
    return summary


def _latency(samples: list[float], count: bool = True) -> dict:
    figures = stats.summarize(samples)
    return {k: v for k, v in figures.items() if count or k != "count"}


def problems(scenarios: dict[str, dict]) -> list[str]:
    """What makes a run fail the smoke check: a scenario with errors, with no operation,
    with abandoned open-loop operations, or after which the stack never became quiet."""
    found = []
    for name, s in scenarios.items():
        if s.get("failed"):
            found.append(f"{name}: {s['failed']}")
            continue
        if s["operations"] == 0:
            found.append(f"{name}: no operation completed")
        if s["errors"]:
            found.append(f"{name}: {s['errors']} failed operations ({'; '.join(s['errorSamples'][:2])})")
        if s.get("open", {}).get("abandoned"):
            found.append(f"{name}: {s['open']['abandoned']} operations abandoned")
        if not s["settle"]["quiet"]:
            found.append(f"{name}: the stack was not quiet {s['settle']['seconds']}s after the load")
    return found


def table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    """A plain-text table: columns padded to their widest cell; the columns whose index is
    in `right` (default: every one but the first) are right-aligned; None prints as `-`."""
    right = set(range(1, len(headers))) if right is None else right
    cells = [[_cell(v) for v in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(result: dict) -> str:
    """The readable report of a whole run (`result`: the JSON line's object)."""
    config = result["config"]
    scenarios = result["scenarios"]
    out = [f"Cartwheel bench {result['startedAt']}: gunicorn {config['webWorkers']} x {config['webThreads']} threads, "
           f"core dramatiq {config['workerProcesses']} x {config['workerThreads']} threads, model worker 1 x 2, "
           f"scheduler; PostgreSQL + Redis; {config['cpus']} CPUs"]
    measured = {n: s for n, s in scenarios.items() if not s.get("failed")}

    rows = []
    for name, s in measured.items():
        load = f"{s['users']} users" if s["loop"] == "closed" else f"{s['open']['plannedPerSecond']:g}/s"
        lat = s["latencyMs"]
        job = s.get("checkoutMs") or s.get("jobMs") or {}
        rows.append([name, load, s.get("jobWait") if (s.get("checkoutMs") or s.get("jobMs")) else None,
                     s["operations"], s["errors"], s["perSecond"], lat["p50"], lat["p95"], lat["p99"],
                     job.get("p50"), job.get("p95"), job.get("p99"), s["pollsPerOp"]])
    out += ["", "Throughput and latency (ms; ops/s: completed within the window; job: POST sent to the job's "
                "finishedAt; job wait: prefer = Prefer: wait=10, poll = polling with backoff)",
            table(["scenario", "load", "job wait", "ops", "errors", "ops/s", "p50", "p95", "p99", "job p50", "job p95",
                   "job p99", "polls/op"], rows)]

    for name, s in measured.items():
        if "open" in s:
            o = s["open"]
            out.append(f"{name}: {o['arrivals']} arrivals planned at {o['plannedPerSecond']:g}/s, "
                       f"{s['perSecond']}/s completed within the window, {o['unfinishedAtEnd']} unfinished at its "
                       f"end, {o['abandoned']} abandoned; latency from the planned arrival p99 "
                       f"{s['latencyMs']['p99']} ms; client start lag at worst {o['maxStartLagMs']} ms")

    roles = ["api", "core", "model", "scheduler", "postgres", "redis"]
    rows = [[name, s.get("ordersPlaced", s["operations"]), *(s["cpuMsPerOp"].get(r) for r in roles), s["cpuMsPerOp"]["total"], s["cpuMsPerOp"].get("loadgen"),
             s["cpuMsPerOp"].get("postgresBench"), s["cpuWallSeconds"]] for name, s in measured.items()]
    out += ["", "CPU per operation (ms; per order placed in the checkout scenarios; from /proc, from the start of "
                "the load until the stack was quiet, over s; total excludes the load generator; pg bench = the bench "
                "database's backends only)",
            table(["scenario", "per n", "api", "core", "model", "sched", "postgres", "redis", "total", "loadgen",
                   "pg bench", "over s"], rows)]

    rows = [[name, s.get("ordersPlaced", s["operations"]), *(s["dbPerOp"][c] for c in pgstats.COUNTERS)]
            for name, s in measured.items() if "dbPerOp" in s]
    if rows:
        out += ["", "Database per operation (per order placed in the checkout scenarios; pg_stat_database: transactions, rows)",
                table(["scenario", "per n", "xacts", "returned", "fetched", "inserted", "updated", "deleted"], rows)]

    idle = result.get("idleCpuMsPerSecond")
    if idle:
        out += ["", "Idle CPU (ms per second, before the scenarios): "
                + ", ".join(f"{r} {idle.get(r)}" for r in [*roles, "postgresBench"] if r in idle)]
    rss = result["peakRssMB"]
    out += ["", "Peak RSS (MB, VmHWM): " + ", ".join(f"{r} {v:g}" for r, v in rss["byRole"].items())]
    rows = [[p["role"], p["pid"], p["peakRssMB"], p["command"]] for p in rss["processes"]]
    out.append(table(["role", "pid", "MB", "command"], rows, right={1, 2}))
    if result["problems"]:
        out += ["", "PROBLEMS:", *(f"  {p}" for p in result["problems"])]
    out += ["", f"Raw samples and logs: {result['logs']}"]
    return "\n".join(out)
