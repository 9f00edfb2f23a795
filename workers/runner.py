"""Runs one job for an actor: claim, handle, finish (DESIGN.md section 4.4).

`run_job(job_id, handler)` claims the job with a conditional update (a
duplicate message is a no-op), calls `handler(job, ctx)` which returns the
result dict, and records the outcome:

- DomainError: failed, no retry;
- JobCancelled: cancelled;
- anything else (TransientError, database operational errors, time limits,
  provider outages, unexpected bugs): queued again with exponential backoff
  until `maxAttempts`, then failed. The release runs on a fresh database
  connection (the one the handler used may have died with a PostgreSQL
  restart) and is tried for up to `RELEASE_SECONDS`, so a job whose database
  blinked goes back to `queued` at once instead of waiting out its lease.

If the database cannot be reached to claim the job, or to release it, the
runner raises `PlatformUnavailable` and the broker redelivers the message with
backoff (`workers.redelivery`); it raises nothing else.

Jobs the handler created (children, events) are dispatched after it returns.
While the handler runs, the process's keep-alive thread renews the job's lease
(`services.platform.heartbeat`), so a long handler is never re-queued under it.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

from models.db import discard_connection, retry_on_fresh_connection
from models.jobs import Job
from services.errors import DomainError
from services.platform import JobCancelled, JobContext, consumption, heartbeat, jobs
from workers.dispatch import dispatch, dispatch_created
from workers.redelivery import PlatformUnavailable

log = logging.getLogger(__name__)

RELEASE_SECONDS = 10.0  # how long a failed attempt's release is retried before the broker takes over


def _error_dict(exc: BaseException) -> dict:
    return {"code": "INTERNAL_ERROR", "reason": "transient_error",
            "message": f"{type(exc).__name__}: {exc}"[:500], "details": []}


def _claim(job_id: str) -> Job | None:
    try:
        return jobs.claim(job_id)
    except Exception as exc:
        discard_connection()
        raise PlatformUnavailable(f"could not claim job {job_id}: {type(exc).__name__}: {exc}") from exc


def _release(job_id: str, exc: BaseException) -> None:
    """Record a failed attempt (queued again after the backoff, or failed when out of attempts)
    and send the retry, on a fresh connection, retrying for RELEASE_SECONDS.
    Raises PlatformUnavailable when the database stays unreachable."""
    def release() -> None:
        if jobs.requeue_after_transient(job_id, _error_dict(exc)) == "queued":
            fresh = Job.get_by_id(job_id)
            dispatch(fresh, delay_ms=math.ceil(jobs.retry_delay_seconds(fresh.attempts) * 1000))

    try:
        retry_on_fresh_connection(release, RELEASE_SECONDS)
    except Exception as error:  # noqa: BLE001 - the database is down or the connection died
        raise PlatformUnavailable(f"could not release job {job_id}: {error}") from error


def _dispatch_created(token) -> None:
    try:
        dispatch_created(jobs.drain_created(token))
    except Exception:  # noqa: BLE001 - unsent jobs stay undispatched: the relay sends them
        log.warning("could not dispatch the jobs a job created; the relay will send them", exc_info=True)
        discard_connection()


def run_job(job_id: str, handler: Callable[[Job, JobContext], dict]) -> None:
    """Claim and run `job_id` with `handler`. Raises only PlatformUnavailable (the broker
    redelivers), or a BaseException that is not an Exception after recording the attempt."""
    job = _claim(job_id)
    if job is None:
        log.info("job %s not claimable (duplicate delivery or not queued); skipped", job_id)
        return
    consumption.note_claim(job.queue)
    token = jobs.collect_created()
    try:
        with heartbeat.keep_alive.hold(job.id, job.type):
            result = handler(job, JobContext(job))
    except DomainError as exc:
        _finish(job_id, token, lambda: jobs.fail(job_id, exc.to_dict(), result=getattr(exc, "result", None)))
    except JobCancelled:
        _finish(job_id, token, lambda: jobs.cancel_if_requested(job_id))
    except BaseException as exc:  # noqa: BLE001 - includes TimeLimitExceeded
        log.warning("job %s attempt %s failed transiently: %r", job_id, job.attempts, exc)
        discard_connection()
        _release(job_id, exc)
        _dispatch_created(token)
        if not isinstance(exc, Exception):
            raise
    else:
        _finish(job_id, token, lambda: jobs.succeed(job_id, result) or jobs.cancel_if_requested(job_id))


def _finish(job_id: str, token, record: Callable[[], object]) -> None:
    """Record the attempt's outcome with `record()`; if the database fails there, the attempt is
    released as a transient failure instead (its work is idempotent and is redone)."""
    try:
        record()
    except Exception as exc:  # noqa: BLE001 - the database died after the handler's work
        log.warning("job %s: could not record its outcome (%r); releasing it for a retry", job_id, exc)
        discard_connection()
        _release(job_id, exc)
    _dispatch_created(token)
