"""Prometheus metrics (prometheus-client): the metric objects, the helpers that record them, and
the scrape (`exposition()`), in one process or aggregated over many.

Metrics (names and labels are stable: dashboards and alerts read them):

| metric | type | labels | recorded |
|---|---|---|---|
| `cartwheel_http_requests_total` | counter | method, route, status | each request (web.metrics) |
| `cartwheel_http_request_duration_seconds` | histogram | method, route | each request, seconds |
| `cartwheel_http_requests_in_flight` | gauge (livesum) | - | requests being answered |
| `cartwheel_jobs_total` | counter | type, outcome | each job attempt (workers.runner) |
| `cartwheel_job_duration_seconds` | histogram | type | each attempt, claim to outcome |
| `cartwheel_job_queue_wait_seconds` | histogram | type | each claim: claim time - due time (1) |
| `cartwheel_catalog_cache_total` | counter | result (hit, miss) | anonymous catalog reads (web.cache) |
| `cartwheel_notifications_total` | counter | channel, provider, outcome | each provider call (2) |
| `cartwheel_jobs` | gauge | type, state | scrape time: unfinished jobs (3) |
| `cartwheel_queue_depth` | gauge | queue | scrape time: queued jobs per queue (4) |
| `cartwheel_outbox_lag_seconds` | gauge | - | scrape time: outbox lag (5) |
| `cartwheel_database_up` | gauge | - | scrape time: 1 when its queries worked |

(1) due: created, or its retry's `run_after` when later; (2) services.notifications.sending;
(3) states queued, running, cancel_requested; (4) with those waiting for a retry backoff;
(5) age of the oldest due queued job whose message was never sent, 0 when none.

Label values are bounded: `route` is the URL rule without converter names
(`/api/v1/products/<product_id>`, never the raw path; `unmatched` for a URL no route
matches), `method` one of the HTTP methods (`other` for anything else), `type` a
declared job type, `outcome` of a job attempt `succeeded`, `failed`, `cancelled`,
`retried` (queued again after a transient failure), `superseded` (the job had already
left `running`: its lease expired, a duplicate finished it) or `unrecorded` (the database
was unreachable to record it: the broker redelivers); of a notification `sent`,
`logged` (console provider), `retried` (transient provider error, tried again),
`rejected` (the provider refused it) or `failed` (out of attempts, or delivery outcome
unknown). Finished jobs are counted by `cartwheel_jobs_total`, not by the gauges, so the
scrape never counts the (large) finished part of the job table: the gauges' two queries
read only unfinished rows, through the partial indexes `job_unfinished` and
`job_queued_dispatch` (migration 0007).

Multiprocess mode. With `PROMETHEUS_MULTIPROC_DIR` set (a directory shared by every
gunicorn and dramatiq process on the host, created if missing, holding nothing else: every
`*.db` file in it is read as metrics), prometheus-client keeps each
process's counters, histograms and gauges in memory-mapped files in it, and the scrape
(`MultiProcessCollector`) sums them over every process, so any API process answers for
all of them. Files are named by `process_identifier()`, `<hostname>-<pid>`: containers
sharing one volume (docker-compose) have their own pid namespaces, and pids alone would
collide. The in-flight gauge is `livesum` (the sum over live processes: gunicorn's
`child_exit` hook calls `mark_process_dead`); the database gauges are not process
state at all: they are computed by the process answering the scrape. Files of processes
that are gone stay (their counts are part of the totals) until
`clean_multiprocess_dir()` removes those of this host's dead processes, which the
gunicorn master does at start (`gunicorn.conf.py`): totals then drop, which Prometheus
reads as a counter reset. Without the variable (`make run`, tests) metrics live in this
process's default registry, with the process and GC collectors.

Recording never raises: a metric that cannot be written (a full disk under the
multiprocess directory) is logged once and the request or job goes on.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
import os
import re
import socket

from peewee import fn
from prometheus_client import (REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics,
                               generate_latest, values)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.multiprocess import mark_process_dead as _mark_dead

from models.db import discard_connection, utcnow
from models.jobs import Job
from services.platform.job_types import JOB_TYPES, QUEUES

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text exposition format, version 0.0.4
UNFINISHED_STATES = ("queued", "running", "cancel_requested")  # the order of index job_unfinished's predicate
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
JOB_OUTCOMES = ("succeeded", "failed", "cancelled", "retried", "superseded", "unrecorded")
NOTIFICATION_OUTCOMES = ("sent", "logged", "retried", "rejected", "failed")

_HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"
_FILE_OWNER = re.compile(r"^(?:counter|histogram|summary|gauge_[a-z]+)_(.+)\.db$")


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`), or None (one process)."""
    return os.environ.get(MULTIPROC_ENV) or None


def process_identifier(pid: int | None = None) -> str:
    """The name of a process's metric files: `<hostname>-<pid>` (this process by default)."""
    return f"{_HOST}-{os.getpid() if pid is None else pid}"


disable_created_metrics()  # no `_created` series beside each counter and histogram: the text format ignores them

if multiprocess_dir():  # before any metric exists: every value lives in this process's files
    os.makedirs(multiprocess_dir(), exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier)
elif MULTIPROC_ENV in os.environ:  # set but empty: one process (prometheus-client would write into the cwd)
    values.ValueClass = values.MutexValue


HTTP_REQUESTS = Counter("cartwheel_http_requests_total", "HTTP requests answered, by method, URL rule and status",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("cartwheel_http_request_duration_seconds",
                          "Time to answer an HTTP request (until the response is handed to the server), seconds",
                          ["method", "route"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
HTTP_IN_FLIGHT = Gauge("cartwheel_http_requests_in_flight", "HTTP requests being answered now",
                       multiprocess_mode="livesum")
JOBS = Counter("cartwheel_jobs_total", "Job attempts by type and outcome", ["type", "outcome"])
JOB_DURATION = Histogram("cartwheel_job_duration_seconds",
                         "Time of one job attempt, claim to recorded outcome, seconds", ["type"],
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0))
JOB_QUEUE_WAIT = Histogram("cartwheel_job_queue_wait_seconds",
                           "Time from a job becoming due (created, or its retry time) to its claim, seconds",
                           ["type"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
                                              900.0))
CATALOG_CACHE = Counter("cartwheel_catalog_cache_total", "Anonymous catalog reads, by cache result (hit, miss)",
                        ["result"])
NOTIFICATIONS = Counter("cartwheel_notifications_total", "Notification provider calls by channel, provider and outcome",
                        ["channel", "provider", "outcome"])

_failed_once = False


def _guarded(record):
    """Run `record()`; a failure is logged once per process and swallowed."""
    global _failed_once
    try:
        record()
    except Exception:  # noqa: BLE001 - metrics never break a request or a job
        if not _failed_once:
            _failed_once = True
            log.warning("could not record a metric; further failures are not logged", exc_info=True)


# --------------------------------------------------------------------------- recording


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request: `route` a URL rule (or `unmatched`), `status` the HTTP status,
    `seconds` its duration. Methods outside HTTP_METHODS are counted as `other`."""
    method = method if method in HTTP_METHODS else "other"

    def record():
        HTTP_REQUESTS.labels(method, route, str(status)).inc()
        HTTP_DURATION.labels(method, route).observe(max(0.0, seconds))

    _guarded(record)


def request_started() -> None:
    """One more request in flight (pair with `request_finished`)."""
    _guarded(HTTP_IN_FLIGHT.inc)


def request_finished() -> None:
    """One request fewer in flight."""
    _guarded(HTTP_IN_FLIGHT.dec)


def _due_at(job: Job) -> dt.datetime | None:
    """When `job` became claimable: its retry time when later than its creation, else its creation."""
    created, run_after = job.created_at, job.run_after
    if run_after is not None and (created is None or run_after > created):
        return run_after
    return created


def observe_claims(claimed: list[Job]) -> None:
    """Record the queue wait (claim time `started_at` minus `_due_at`, seconds, at least 0) of each
    job just claimed."""
    def record():
        for job in claimed:
            due = _due_at(job)
            if due is not None and job.started_at is not None:
                JOB_QUEUE_WAIT.labels(job.type).observe(max(0.0, (job.started_at - due).total_seconds()))

    _guarded(record)


def attempt_seconds(job: Job, now: dt.datetime | None = None) -> float:
    """Seconds since `job` was claimed (its `started_at`); 0.0 when unknown."""
    started = job.started_at
    if isinstance(started, str):
        started = dt.datetime.fromisoformat(started)
    if not isinstance(started, dt.datetime):
        return 0.0
    return max(0.0, ((now or utcnow()) - started).total_seconds())


def observe_attempt(job_type: str, outcome: str, seconds: float) -> None:
    """Count one finished attempt of `job_type` with `outcome` (one of JOB_OUTCOMES) lasting `seconds`."""
    def record():
        JOBS.labels(job_type, outcome).inc()
        JOB_DURATION.labels(job_type).observe(max(0.0, seconds))

    _guarded(record)


def count_catalog_cache(result: str) -> None:
    """Count one anonymous catalog read answered from the cache (`hit`) or not (`miss`)."""
    _guarded(lambda: CATALOG_CACHE.labels(result).inc())


def count_notification(channel: str, provider: str, outcome: str) -> None:
    """Count one provider call for a notification on `channel` (email, sms, in_app) through `provider`
    (its name, e.g. sendgrid, console) with `outcome` (one of NOTIFICATION_OUTCOMES)."""
    _guarded(lambda: NOTIFICATIONS.labels(channel, provider or "unknown", outcome).inc())


# --------------------------------------------------------------------------- the scrape


def outbox_lag_seconds(now: dt.datetime | None = None) -> float:
    """Age in seconds of the oldest due queued job whose message was never sent (0.0 when none):
    one query, on the partial index `job_queued_dispatch`. Raises the database's error."""
    now = now or utcnow()
    oldest = (Job.select(fn.MIN(Job.updated_at))
              .where(Job.state == "queued", Job.dispatched_at.is_null(),
                     Job.run_after.is_null() | (Job.run_after <= now)).scalar())
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite may hand MIN() back as text
        oldest = dt.datetime.fromisoformat(oldest)
    return round(max(0.0, (now - oldest).total_seconds()), 3)


class DatabaseCollector:
    """The scrape-time gauges, from the job table: two queries, over unfinished rows only."""

    def collect(self):
        up = GaugeMetricFamily("cartwheel_database_up", "1 when the scrape's database queries worked, else 0")
        try:
            counts = list(Job.select(Job.type, Job.queue, Job.state, fn.COUNT(Job.id))
                          .where(Job.state.in_(UNFINISHED_STATES))
                          .group_by(Job.type, Job.queue, Job.state).tuples())
            lag = outbox_lag_seconds()
        except Exception:  # noqa: BLE001 - the scrape still answers, with database_up 0
            log.warning("metrics: the job gauges could not be read", exc_info=True)
            discard_connection()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_type = {(name, state): 0 for name in JOB_TYPES for state in UNFINISHED_STATES}
        depth = {queue: 0 for queue in QUEUES}
        for job_type, queue, state, count in counts:
            by_type[(job_type, state)] = by_type.get((job_type, state), 0) + count
            if state == "queued":
                depth[queue] = depth.get(queue, 0) + count
        jobs = GaugeMetricFamily("cartwheel_jobs", "Unfinished jobs by type and state (queued, running, "
                                                   "cancel_requested), at scrape time", labels=["type", "state"])
        for (job_type, state), count in sorted(by_type.items()):
            jobs.add_metric([job_type, state], count)
        yield jobs
        queues = GaugeMetricFamily("cartwheel_queue_depth", "Queued jobs per queue (with those waiting for a retry "
                                                            "backoff), at scrape time", labels=["queue"])
        for queue, count in sorted(depth.items()):
            queues.add_metric([queue], count)
        yield queues
        yield GaugeMetricFamily("cartwheel_outbox_lag_seconds", "Age of the oldest due queued job whose message was "
                                                                "never sent (0 when none), seconds", value=lag)


class _ThisProcess:
    """The default registry (this process's metrics and its process/GC collectors) as one collector."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> bytes:
    """The metrics in the Prometheus text exposition format (CONTENT_TYPE): every process's
    counters, histograms and gauges in multiprocess mode, else this process's; then the
    scrape-time job gauges from the database (which must be bound; a failing database gives
    `cartwheel_database_up 0` and no job gauges, never an error)."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        os.makedirs(directory, exist_ok=True)
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


# --------------------------------------------------------------------------- the directory


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_multiprocess_dir() -> list[str]:
    """Remove the metric files of this host's processes that are gone (an earlier run, a killed
    worker), keeping every live process's and other hosts'. Returns the removed file names;
    does nothing without multiprocess mode. Call when a process group starts (the gunicorn
    master's `on_starting`), never while a removed process could still write."""
    directory = multiprocess_dir()
    if not directory or not os.path.isdir(directory):
        return []
    removed = []
    prefix = f"{_HOST}-"
    for path in glob.glob(os.path.join(directory, "*.db")):
        match = _FILE_OWNER.match(os.path.basename(path))
        owner = match.group(1) if match else ""
        if not owner.startswith(prefix) or not owner[len(prefix):].isdigit():
            continue
        if not _alive(int(owner[len(prefix):])):
            try:
                os.remove(path)
                removed.append(os.path.basename(path))
            except FileNotFoundError:
                pass
    return removed


def mark_process_dead(pid: int) -> None:
    """A process of this host exited: drop its live gauges from the aggregation (call from
    gunicorn's `child_exit`). Does nothing without multiprocess mode."""
    directory = multiprocess_dir()
    if directory:
        _mark_dead(process_identifier(pid), directory)
