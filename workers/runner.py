"""Runs one job for an actor: claim, handle, finish (DESIGN.md section 4.4).

`run_job(job_id, handler)` claims the job with a conditional update (a
duplicate message is a no-op), calls `handler(job, ctx)` which returns the
result dict, and records the outcome:

- DomainError: failed, no retry;
- JobCancelled: cancelled;
- anything else (TransientError, database operational errors, time limits,
  provider outages, unexpected bugs): queued again with exponential backoff
  until `maxAttempts`, then failed.

Jobs the handler created (children, events) are dispatched after it returns.
While the handler runs, the process's keep-alive thread renews the job's lease
(`services.platform.heartbeat`), so a long handler is never re-queued under it.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

from models.jobs import Job
from services.errors import DomainError
from services.platform import JobCancelled, JobContext, heartbeat, jobs
from workers.dispatch import dispatch, dispatch_created

log = logging.getLogger(__name__)


def _error_dict(exc: BaseException) -> dict:
    return {"code": "INTERNAL_ERROR", "reason": "transient_error",
            "message": f"{type(exc).__name__}: {exc}"[:500], "details": []}


def run_job(job_id: str, handler: Callable[[Job, JobContext], dict]) -> None:
    """Claim and run `job_id` with `handler`; never raises (Dramatiq retries are not used)."""
    job = jobs.claim(job_id)
    if job is None:
        log.info("job %s not claimable (duplicate delivery or not queued); skipped", job_id)
        return
    token = jobs.collect_created()
    try:
        with heartbeat.keep_alive.hold(job.id, job.type):
            result = handler(job, JobContext(job))
    except DomainError as exc:
        jobs.fail(job_id, exc.to_dict(), result=getattr(exc, "result", None))
    except JobCancelled:
        jobs.cancel_if_requested(job_id)
    except BaseException as exc:  # noqa: BLE001 - includes TimeLimitExceeded
        log.warning("job %s attempt %s failed transiently: %r", job_id, job.attempts, exc)
        state = jobs.requeue_after_transient(job_id, _error_dict(exc))
        if state == "queued":
            fresh = Job.get_by_id(job_id)
            delay = math.ceil(jobs.retry_delay_seconds(fresh.attempts) * 1000)
            dispatch(fresh, delay_ms=delay)
        dispatch_created(jobs.drain_created(token))
        if not isinstance(exc, Exception):
            raise
        return
    else:
        if not jobs.succeed(job_id, result):
            jobs.cancel_if_requested(job_id)
    dispatch_created(jobs.drain_created(token))
