"""Queue health: is every queue with work being consumed, and how long has its work waited?

Workers note each claim in memory (`note_claim(queue)`, no I/O on the job's
path); the keep-alive thread flushes the latest claim time per queue into
`queueconsumption` at most every `FLUSH_SECONDS` (one UPSERT per queue that was
claimed from). `queue_health(max_age)` reads, per queue, the ready jobs
(queued, past any retry backoff), how long the oldest has waited, and when a
worker last claimed from it. A queue is

- `backlogged` when its oldest ready job has waited more than `max_age` seconds;
- `no_consumer` when it has had ready work for more than `READY_GRACE_SECONDS`
  and no worker claimed from it for `max_age` seconds (none is running, or all
  are stuck);
- `ok` otherwise (an idle queue is ok).

`/api/v1/health` reports `degraded` when any queue is not ok.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from peewee import SQL, fn

from models.db import utcnow
from models.jobs import Job, QueueConsumption
from services.platform.job_types import QUEUES

FLUSH_SECONDS = 2.0
READY_GRACE_SECONDS = 5.0

_lock = threading.Lock()
_claimed: dict[str, dt.datetime] = {}   # queue -> latest claim noted in this process
_flushed: dict[str, dt.datetime] = {}   # queue -> latest claim written
_last_flush = 0.0


def note_claim(queue: str) -> None:
    """Remember that this process just claimed a job from `queue` (memory only)."""
    now = utcnow()
    with _lock:
        _claimed[queue] = now


def forget() -> None:
    """Drop the claims noted in this process and not yet written (a process that binds a new
    database, e.g. each test)."""
    with _lock:
        _claimed.clear()
        _flushed.clear()


def pending() -> bool:
    """True when a claim noted in this process is not written yet and a flush is due."""
    with _lock:
        return time.monotonic() - _last_flush >= FLUSH_SECONDS and any(
            _flushed.get(q) != at for q, at in _claimed.items())


def flush(force: bool = False) -> int:
    """Write the claims noted since the last flush (at most every FLUSH_SECONDS unless `force`).
    Returns how many queues were written. Raises the database's error (the caller retries)."""
    global _last_flush
    with _lock:
        if not force and time.monotonic() - _last_flush < FLUSH_SECONDS:
            return 0
        due = {q: at for q, at in _claimed.items() if _flushed.get(q) != at}
        _last_flush = time.monotonic()
    if not due:
        return 0
    for queue, at in due.items():
        (QueueConsumption.insert(queue=queue, last_claim_at=at)
         .on_conflict(conflict_target=[QueueConsumption.queue], update={QueueConsumption.last_claim_at: at})
         .execute())
    with _lock:
        _flushed.update(due)
    return len(due)


def _ready_since():
    """SQL for when a queued job became ready: the later of its last change and its retry time."""
    return SQL("CASE WHEN run_after IS NOT NULL AND run_after > updated_at THEN run_after ELSE updated_at END")


def queue_health(max_age_seconds: float, now: dt.datetime | None = None) -> dict:
    """Per queue: `{"ready": n, "oldestReadySeconds": s | None, "lastClaimSecondsAgo": s | None,
    "status": "ok" | "backlogged" | "no_consumer"}`, for every queue in QUEUES (seconds as floats,
    one decimal). Two queries: ready jobs grouped by queue, and the consumption rows."""
    now = now or utcnow()
    ready = {queue: (count, oldest) for queue, count, oldest in
             Job.select(Job.queue, fn.COUNT(Job.id), fn.MIN(_ready_since()))
             .where(Job.state == "queued", (Job.run_after.is_null()) | (Job.run_after <= now))
             .group_by(Job.queue).tuples()}
    claims = {row.queue: row.last_claim_at for row in QueueConsumption.select()}
    report = {}
    for queue in QUEUES:
        count, oldest = ready.get(queue, (0, None))
        waited = _seconds(now, oldest)
        claimed = _seconds(now, claims.get(queue))
        status = "ok"
        if count and waited is not None and waited > max_age_seconds:
            status = "backlogged"
        elif count and waited is not None and waited > READY_GRACE_SECONDS and (
                claimed is None or claimed > max_age_seconds):
            status = "no_consumer"
        report[queue] = {"ready": count, "oldestReadySeconds": waited, "lastClaimSecondsAgo": claimed,
                         "status": status}
    return report


def _seconds(now: dt.datetime, then) -> float | None:
    if then is None:
        return None
    if isinstance(then, str):  # SQLite returns MIN() over an expression as text
        then = dt.datetime.fromisoformat(then)
    return round(max(0.0, (now - then).total_seconds()), 1)
