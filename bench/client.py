"""The load generator's HTTP client (aiohttp) and what it records.

`Client.call` sends one request and records its latency (ms, wall time from sending to
the whole body read) under a request name in a `Recorder`; an unexpected status or a
transport error is counted as an error of that request and raised as `OperationFailed`,
which ends the operation it belongs to (counted as one failed operation by the driver).

`wait_job` follows a job to its end by polling `GET /api/v1/jobs/{id}` with
`If-None-Match` (an unchanged job is a 304 without a body): first after `poll_seconds`,
then each interval `POLL_BACKOFF` times the previous one, up to `poll_max_seconds`.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

TERMINAL_STATES = ("succeeded", "failed", "cancelled")
ERROR_SAMPLES = 20  # error messages kept per run (the count is always complete)
POLL_BACKOFF = 1.5


class OperationFailed(Exception):
    """One operation could not complete (the message says which request and why)."""


class Recorder:
    """Samples of one load-generator run.

    - `requests[name]`: latencies (ms) of the requests of that name that answered as
      expected; `request_errors[name]`: how many did not.
    - `operations`: latencies (ms) of completed operations, `operation_errors` failed ones,
      `completions`: when each operation completed (s since the run started).
    - `timings[name]`: other latencies (ms), e.g. `checkout` (POST to job finished).
    - `polls`: job polls sent; `errors`: the first `ERROR_SAMPLES` error messages.
    """

    def __init__(self):
        self.requests: dict[str, list[float]] = {}
        self.request_errors: dict[str, int] = {}
        self.operations: list[float] = []
        self.completions: list[float] = []
        self.operation_errors = 0
        self.timings: dict[str, list[float]] = {}
        self.polls = 0
        self.errors: list[str] = []
        self.started = time.monotonic()

    def request(self, name: str, ms: float) -> None:
        self.requests.setdefault(name, []).append(ms)

    def request_error(self, name: str, message: str) -> None:
        self.request_errors[name] = self.request_errors.get(name, 0) + 1
        self.error(message)

    def operation(self, ms: float) -> None:
        self.operations.append(ms)
        self.completions.append(time.monotonic() - self.started)

    def operation_error(self, message: str) -> None:
        self.operation_errors += 1
        self.error(message)

    def timing(self, name: str, ms: float) -> None:
        self.timings.setdefault(name, []).append(ms)

    def error(self, message: str) -> None:
        if len(self.errors) < ERROR_SAMPLES:
            self.errors.append(message)

    def to_dict(self) -> dict:
        """Everything recorded, as JSON-ready lists (ms rounded to 0.01)."""
        def rounded(values):
            return [round(v, 2) for v in values]
        return {"requests": {name: rounded(v) for name, v in self.requests.items()},
                "requestErrors": dict(self.request_errors),
                "operations": rounded(self.operations), "completions": rounded(self.completions),
                "operationErrors": self.operation_errors,
                "timings": {name: rounded(v) for name, v in self.timings.items()},
                "polls": self.polls, "errors": list(self.errors)}


class Client:
    """Requests to one server through one aiohttp session, recorded in `recorder`."""

    def __init__(self, session: aiohttp.ClientSession, base: str, recorder: Recorder):
        self.session, self.base, self.recorder = session, base.rstrip("/"), recorder

    async def call(self, name: str, method: str, path: str, *, json_body=None, token: str | None = None,
                   headers: dict | None = None, expect: tuple[int, ...] = (200,)):
        """Send one request; returns `(status, parsed JSON body or None, response headers)`.
        Raises OperationFailed (after recording the error) on a status not in `expect`
        or a transport error."""
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            async with self.session.request(method, self.base + path, json=json_body, headers=hdrs) as response:
                raw = await response.read()
                status, response_headers = response.status, response.headers
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            message = f"{name}: {type(exc).__name__}: {exc}"
            self.recorder.request_error(name, message)
            raise OperationFailed(message) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        if status not in expect:
            detail = (body or {}).get("error", {}) if isinstance(body, dict) else raw[:200]
            message = f"{name}: HTTP {status} {detail}"
            self.recorder.request_error(name, message)
            raise OperationFailed(message)
        self.recorder.request(name, elapsed_ms)
        return status, body, response_headers


def poll_delays(first: float, largest: float, backoff: float = POLL_BACKOFF):
    """The waits (s) before each poll: `first`, then times `backoff`, capped at `largest`."""
    delay = first
    while True:
        yield delay
        delay = min(largest, delay * backoff)


async def wait_job(client: Client, job: dict, *, token: str | None, poll_seconds: float,
                   poll_max_seconds: float, timeout_seconds: float) -> dict:
    """Poll the job until it ends (`TERMINAL_STATES`); returns the last job resource.
    Raises OperationFailed when it has not ended after `timeout_seconds`."""
    deadline = time.monotonic() + timeout_seconds
    tag = None
    delays = poll_delays(poll_seconds, max(poll_seconds, poll_max_seconds))
    while job["state"] not in TERMINAL_STATES:
        if time.monotonic() > deadline:
            raise OperationFailed(f"job {job['id']} still {job['state']} after {timeout_seconds:.0f}s")
        await asyncio.sleep(next(delays))
        client.recorder.polls += 1
        status, body, headers = await client.call("job poll", "GET", f"/api/v1/jobs/{job['id']}", token=token,
                                                  headers={"If-None-Match": tag} if tag else None,
                                                  expect=(200, 304))
        if status == 200:
            job, tag = body["data"], headers.get("ETag")
    return job
