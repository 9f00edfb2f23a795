"""The load generator: one scenario, in a process of its own (so its CPU is measured apart).

    python -m bench.loadgen SPEC.json RESULT.json

An asyncio client (aiohttp, one session, keep-alive connections) runs the scenario of
`SPEC` (`{"scenario", "base", "users", "seconds", "rate", "drainSeconds", "products",
"customers", "adminToken", "options", "seed"}`) against the server at `base`. Protocol with
bench.run over stdin/stdout: it prints `ready` once set up, starts on a `go` line, writes
`RESULT` and prints `done` when the load is over, and exits when stdin closes (bench.run
samples its CPU in between).

- Closed loop (`users` coroutines): each user runs one operation after another, with no
  think time, until `seconds` have passed; an operation under way then finishes (the
  drain) and counts. The elapsed time is from `go` until the last user stopped.
- Open loop (`rate` per second for `seconds`): operations start at planned times
  `i / rate` whatever the server does (no coordinated omission); latency is from the
  planned arrival. Operations still running at the end of the window are counted
  (`unfinishedAtEnd`), then given `drainSeconds` to finish; those still running after
  that are abandoned (`abandoned`) and counted as failed.

How a job's end is awaited (`options.job_wait`; `auto`, the default, picks per loop):

- closed loop: `Prefer: wait=10` on the POST. The server re-reads the job row every 5 to
  25 ms and answers 200 with the finished job, so a user sees the end within 25 ms at the
  cost of a primary-key read per look, without an HTTP request per look; a 202 (not
  finished in 10 s) falls back to polling. It holds one gunicorn thread per waiting user:
  fine while users <= API threads (16 = 2 x 8 by default; bench.run warns otherwise).
  Client polling instead would add its interval to every cycle (a no-op job lasts a few
  ms, so polling every 50 ms would measure the interval) or cost a request every few ms.
- open loop: polling `GET /jobs/{id}` with `If-None-Match` (a 304 while unchanged), first
  after 50 ms, then 1.5 times longer each time up to 400 ms. It holds no server thread,
  so the run measures the server and not gunicorn's thread pool (at 80 checkouts/s of a
  few hundred ms each, more than 16 are under way at once), and the backoff keeps the
  polls to a few per checkout (counted: polls/op). The latency does not depend on the
  interval: it is taken from the job's `finishedAt` (bench.scenarios).

`--job-wait poll` or `prefer` forces one way everywhere, to compare. Measured here on
2026-12-01 (16 users, 8 s, a busy shared machine), polling every 50 ms against Prefer:
no-op jobs 45/s against 74/s, guest checkouts 10.8/s against 14.8/s, for about the same
API CPU per checkout (27 and 26 ms).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path

import aiohttp

from bench.client import Client, OperationFailed, Recorder
from bench.scenarios import SCENARIOS, Context, Options, Scenario

ERROR_PAUSE_SECONDS = 0.05  # a closed-loop user pauses this long after a failed operation


async def _one(ctx: Context, scenario: Scenario, user: dict, started: float) -> None:
    """Run one operation and record it (latency from `started`, a perf_counter time,
    unless the operation measured its own)."""
    recorder = ctx.client.recorder
    try:
        own = await scenario.operation(ctx, user)
    except OperationFailed as exc:
        recorder.operation_error(str(exc))
        raise
    except Exception as exc:  # noqa: BLE001 - a bug or a malformed answer: count it, keep going
        recorder.operation_error(f"{type(exc).__name__}: {exc}")
        raise OperationFailed(str(exc)) from exc
    recorder.operation(own if own is not None else (time.perf_counter() - started) * 1000)


async def closed_loop(ctx: Context, scenario: Scenario, users: int, seconds: float) -> dict:
    """`users` users, each running operations back to back for `seconds`. Returns
    `{"windowSeconds", "elapsedSeconds"}`."""
    start = time.perf_counter()
    end = start + seconds

    async def user(index: int) -> None:
        state = scenario.new_user(ctx, index)
        while time.perf_counter() < end:
            try:
                await _one(ctx, scenario, state, time.perf_counter())
            except OperationFailed:
                await asyncio.sleep(ERROR_PAUSE_SECONDS)

    await asyncio.gather(*(user(i) for i in range(users)))
    return {"windowSeconds": seconds, "elapsedSeconds": round(time.perf_counter() - start, 3)}


async def open_loop(ctx: Context, scenario: Scenario, rate: float, seconds: float, drain_seconds: float) -> dict:
    """Operations started at `rate` per second for `seconds`. Returns `{"windowSeconds",
    "elapsedSeconds", "rate", "arrivals", "maxLagMs", "unfinishedAtEnd", "abandoned"}`
    (`maxLagMs`: how late the client started an operation, at worst)."""
    start = time.perf_counter()
    arrivals = int(rate * seconds)
    running: set[asyncio.Task] = set()
    max_lag = 0.0

    async def arrival(planned: float) -> None:
        try:
            await _one(ctx, scenario, scenario.new_user(ctx, 0), planned)
        except OperationFailed:
            pass

    for i in range(arrivals):
        planned = start + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        max_lag = max(max_lag, time.perf_counter() - planned)
        task = asyncio.create_task(arrival(planned))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.sleep(max(0.0, start + seconds - time.perf_counter()))
    unfinished = len(running)
    abandoned = 0
    if running:
        _, pending = await asyncio.wait(set(running), timeout=drain_seconds)
        abandoned = len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        ctx.client.recorder.operation_errors += abandoned
        if abandoned:
            ctx.client.recorder.error(f"{abandoned} operations still running {drain_seconds}s after the window")
    return {"windowSeconds": seconds, "elapsedSeconds": round(time.perf_counter() - start, 3), "rate": rate,
            "arrivals": arrivals, "maxLagMs": round(max_lag * 1000, 1), "unfinishedAtEnd": unfinished,
            "abandoned": abandoned}


async def run(spec: dict, go: "asyncio.Future | None" = None, ready=None) -> dict:
    """Run `spec`'s scenario; `ready()` is called once set up, then `go` is awaited.
    Returns `{"scenario", "jobWait", "loop": {...driver figures}, "recorded": Recorder.to_dict()}`."""
    scenario = SCENARIOS[spec["scenario"]]
    options = Options(**spec.get("options", {}))
    if options.job_wait == "auto":
        options.job_wait = "poll" if scenario.open_loop else "prefer"
    recorder = Recorder()
    connections = 256 if scenario.open_loop else max(4, 2 * spec["users"])
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=1.0)  # gunicorn closes idle ones at 2 s
    timeout = aiohttp.ClientTimeout(total=spec.get("requestTimeoutSeconds", 30))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        ctx = Context(client=Client(session, spec["base"], recorder), products=spec["products"],
                      customers=spec.get("customers", []), admin_token=spec.get("adminToken"),
                      options=options, rng=random.Random(spec.get("seed", 7)))
        if ready is not None:
            ready()
        if go is not None and await go != "go":
            return {"scenario": scenario.name, "aborted": True}
        recorder.started = time.monotonic()
        if scenario.open_loop:
            loop = await open_loop(ctx, scenario, spec["rate"], spec["seconds"], spec.get("drainSeconds", 10))
        else:
            loop = await closed_loop(ctx, scenario, spec["users"], spec["seconds"])
    return {"scenario": scenario.name, "jobWait": options.job_wait, "loop": loop, "recorded": recorder.to_dict()}


async def _main(spec_path: Path, result_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    loop = asyncio.get_running_loop()
    go = loop.create_future()

    def ready() -> None:
        print("ready", flush=True)

        def wait_go() -> None:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(go.set_result, line.strip())

        loop.run_in_executor(None, wait_go)

    result = await run(spec, go, ready)
    result_path.write_text(json.dumps(result, separators=(",", ":")))
    print("done", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(_main(Path(args[0]), Path(args[1])))
    sys.stdin.read()  # bench.run closes stdin after its last sample of this process
    return 0


if __name__ == "__main__":
    sys.exit(main())
