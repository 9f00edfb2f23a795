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

Telemetry: each claim records its queue wait and each attempt its outcome and duration
(`services.platform.metrics`: `cartwheel_job_queue_wait_seconds`, `cartwheel_jobs_total`,
`cartwheel_job_duration_seconds`); lines logged while the handler runs carry job_id, job_type
and attempt, and each attempt ends with one `job_attempt` line (logger `cartwheel.jobs`:
job_id, job_type, queue, attempt, outcome, duration_ms, and the error's reason when it failed).
"""

from __future__ import annotations

import logging
import math
from contextlib import ExitStack
from typing import Callable

from models.db import discard_connection, retry_on_fresh_connection
from models.jobs import Job
from services.errors import DomainError
from services.platform import JobCancelled, JobContext, consumption, heartbeat, jobs, logs, metrics
from workers.dispatch import dispatch, dispatch_created
from workers.redelivery import PlatformUnavailable

log = logging.getLogger(__name__)
attempt_log = logging.getLogger("cartwheel.jobs")

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


def _release(job_id: str, exc: BaseException) -> str:
    """Record a failed attempt (queued again after the backoff, or failed when out of attempts)
    and send the retry, on a fresh connection, retrying for RELEASE_SECONDS. Returns the
    attempt's outcome: "retried", "failed" or "superseded" (the job was no longer running).
    Raises PlatformUnavailable when the database stays unreachable."""
    def release() -> str:
        state = jobs.requeue_after_transient(job_id, _error_dict(exc))
        if state == "queued":
            fresh = Job.get_by_id(job_id)
            dispatch(fresh, delay_ms=math.ceil(jobs.retry_delay_seconds(fresh.attempts) * 1000))
        return state

    try:
        state = retry_on_fresh_connection(release, RELEASE_SECONDS)
    except Exception as error:  # noqa: BLE001 - the database is down or the connection died
        raise PlatformUnavailable(f"could not release job {job_id}: {error}") from error
    return {"queued": "retried", "failed": "failed"}.get(state, "superseded")


def _dispatch_created(token) -> None:
    try:
        dispatch_created(jobs.drain_created(token))
    except Exception:  # noqa: BLE001 - unsent jobs stay undispatched: the relay sends them
        log.warning("could not dispatch the jobs a job created; the relay will send them", exc_info=True)
        discard_connection()


BatchHandler = Callable[[list[Job]], dict]
"""`batch_handler(jobs) -> {job id: result dict, or the exception that job alone raised}`; an
exception it raises is shared by the whole batch."""


def run_job(job_id: str, handler: Callable[[Job, JobContext], dict]) -> None:
    """Claim and run `job_id` with `handler(job, ctx) -> result`. Raises only PlatformUnavailable
    (the broker redelivers), or a BaseException that is not an Exception after recording the attempt."""
    def alone(batch: list[Job]) -> dict:
        job = batch[0]
        try:
            return {job.id: handler(job, JobContext(job))}
        except Exception as exc:  # noqa: BLE001 - the job's outcome, classified by _record
            return {job.id: exc}

    run_batch(job_id, alone, 1)


def run_batch(job_id: str, batch_handler: BatchHandler, batch_size: int) -> None:
    """Claim `job_id` and up to `batch_size - 1` more queued jobs of its type (`jobs.claim_more`),
    run them with one `batch_handler(jobs)` call and record each job's own outcome: a result
    succeeds, a DomainError fails, JobCancelled cancels, any other exception releases that job for
    a retry. An exception the handler raises releases every job of the batch. Raises only
    PlatformUnavailable, or a BaseException that is not an Exception after releasing the batch."""
    lead = _claim(job_id)
    if lead is None:
        log.info("job %s not claimable (duplicate delivery or not queued); skipped", job_id)
        return
    batch = [lead, *_claim_more(lead, batch_size - 1)]
    consumption.note_claim(lead.queue)
    metrics.observe_claims(batch)
    token = jobs.collect_created()
    try:
        with ExitStack() as held:
            held.enter_context(logs.bound(job_id=lead.id, job_type=lead.type, attempt=lead.attempts,
                                          **({"batch_size": len(batch)} if len(batch) > 1 else {})))
            for job in batch:
                held.enter_context(heartbeat.keep_alive.hold(job.id, job.type))
            outcomes = batch_handler(batch)
    except BaseException as exc:  # noqa: BLE001 - includes TimeLimitExceeded
        discard_connection()
        _settle(batch, token, {job.id: exc for job in batch})
        if not isinstance(exc, Exception):
            raise
    else:
        _settle(batch, token, outcomes)


def _claim_more(lead: Job, limit: int) -> list[Job]:
    if limit < 1:
        return []
    try:
        return jobs.claim_more(lead.type, limit, exclude=lead.id)
    except Exception:  # noqa: BLE001 - the lead runs alone; rows claimed unseen are reclaimed after their lease
        log.warning("could not claim more %s jobs; running %s alone", lead.type, lead.id, exc_info=True)
        discard_connection()
        return []


def _settle(batch: list[Job], token, outcomes: dict) -> None:
    """Record every job's outcome, then dispatch the jobs they created. Raises the first
    PlatformUnavailable after trying them all."""
    unavailable = None
    for job in batch:
        try:
            _finish(job, outcomes.get(job.id, RuntimeError("the batch handler gave this job no outcome")))
        except PlatformUnavailable as exc:
            unavailable = unavailable or exc
    _dispatch_created(token)
    if unavailable is not None:
        raise unavailable


def _record(job: Job, outcome) -> str:
    """Record `outcome`; returns the attempt's outcome label (services.platform.metrics.JOB_OUTCOMES)."""
    if isinstance(outcome, DomainError):
        failed = jobs.fail(job.id, outcome.to_dict(), result=getattr(outcome, "result", None))
        return "failed" if failed else "superseded"
    elif isinstance(outcome, JobCancelled):
        return "cancelled" if jobs.cancel_if_requested(job.id) else "superseded"
    elif isinstance(outcome, BaseException):
        log.warning("job %s attempt %s failed transiently: %r", job.id, job.attempts, outcome)
        discard_connection()
        return _release(job.id, outcome)
    else:
        if jobs.succeed(job.id, outcome):
            return "succeeded"
        return "cancelled" if jobs.cancel_if_requested(job.id) else "superseded"


def _finish(job: Job, outcome) -> None:
    """Record the attempt's outcome; if the database fails there, the attempt is released as a
    transient failure instead (its work is idempotent and is redone). Raises PlatformUnavailable."""
    recorded = "unrecorded"
    try:
        try:
            recorded = _record(job, outcome)
        except PlatformUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the database died after the handler's work
            log.warning("job %s: could not record its outcome (%r); releasing it for a retry", job.id, exc)
            discard_connection()
            recorded = _release(job.id, exc)
    finally:
        _report_attempt(job, recorded, outcome)


def _report_attempt(job: Job, recorded: str, outcome) -> None:
    """The attempt's metrics and its one `job_attempt` log line. Never raises."""
    try:
        seconds = metrics.attempt_seconds(job)
        metrics.observe_attempt(job.type, recorded, seconds)
        fields = {"job_id": job.id, "job_type": job.type, "queue": job.queue, "attempt": job.attempts,
                  "outcome": recorded, "duration_ms": round(seconds * 1000, 2)}
        if isinstance(outcome, BaseException):
            fields["error"] = getattr(outcome, "reason", None) or type(outcome).__name__
        attempt_log.log(logging.INFO if recorded in ("succeeded", "cancelled") else logging.WARNING, "job_attempt",
                        extra=fields)
    except Exception:  # noqa: BLE001 - telemetry never changes a job's outcome
        log.debug("job %s: could not report the attempt", job.id, exc_info=True)
