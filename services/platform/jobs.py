"""The job platform's state machine (DESIGN.md section 4).

Every transition is one conditional UPDATE (`... WHERE state IN (...)`), so a
duplicate message or a race loses cleanly: the function returns False and
changes nothing. Terminal states are never left.

Besides the transitions, `redact` blanks the payloads of finished jobs that named an erased
account (their state and result stay).

Job types, their queues, attempt limits, time limits and leases are declared in
`services.platform.job_types`; finding abandoned and unsent jobs is `recovery.py`.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass

from peewee import Case

from models.db import atomic, is_postgres, utcnow
from models.jobs import TERMINAL_STATES, Job
from services.errors import Conflict, NotFound
from services.platform import live
from services.platform.job_types import JOB_TYPES

RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 300.0


_created: ContextVar[list | None] = ContextVar("cartwheel_created_jobs", default=None)


@dataclass(frozen=True)
class JobSpec:
    """One job to write with `create_jobs`: its type, payload and (optional) owner, parent and
    progress total (steps)."""

    job_type: str
    payload: dict
    owner_id: str | None = None
    parent_id: str | None = None
    total: int = 0


def create_jobs(specs: list[JobSpec]) -> list[Job]:
    """Insert `queued`, undispatched jobs, all in ONE statement; call inside the domain transaction
    that needs them. Returns the jobs in the order of `specs`.

    Inside a request or a running job (see `collect_created`) the jobs are also remembered, so
    the caller dispatches them right after commit; the outbox relay sends them otherwise.
    Raises KeyError for an unknown job type.
    """
    created = []
    for spec in specs:
        declared = JOB_TYPES[spec.job_type]
        created.append(Job(type=spec.job_type, queue=declared.queue, payload=spec.payload, owner_id=spec.owner_id,
                           parent_id=spec.parent_id, max_attempts=declared.max_attempts,
                           progress_total=spec.total))
    if created:
        Job.insert_many([dict(job.__data__) for job in created]).execute()
    collected = _created.get()
    if collected is not None:
        collected.extend(created)
    return created


def create_job(job_type: str, payload: dict, owner_id: str | None = None, parent_id: str | None = None,
               total: int = 0) -> Job:
    """Insert one `queued`, undispatched job (see `create_jobs`). Raises KeyError for an unknown `job_type`."""
    return create_jobs([JobSpec(job_type, payload, owner_id, parent_id, total)])[0]


def collect_created():
    """Start remembering jobs created in this context; returns a token for `drain_created`."""
    return _created.set([])


def drain_created(token) -> list[Job]:
    """The jobs created since `collect_created()` (committed or not), and stop remembering."""
    jobs_created = _created.get() or []
    _created.reset(token)
    return jobs_created


def finished_channel(job_id: str) -> str:
    """The live channel on which job `job_id` announces that it ended (`{"state"}`), so a request
    waiting for it (`Prefer: wait`) wakes up at once instead of polling the row."""
    return live.channel(f"job:{job_id}")


def _announce(job_id: str, state: str) -> None:
    live.publish_after_commit(finished_channel(job_id), {"state": state})


def get_job(job_id: str) -> Job:
    """The job with `job_id`. Raises NotFound."""
    job = Job.get_or_none(Job.id == job_id)
    if job is None:
        raise NotFound("Job not found", reason="job_not_found")
    return job


def _transition(job_id: str, from_states: tuple, **changes) -> bool:
    now = utcnow()
    changes.setdefault("updated_at", now)
    changes["version"] = Job.version + 1
    query = Job.update(**changes).where(Job.id == job_id, Job.state.in_(from_states))
    return query.execute() == 1


def mark_dispatched(*job_ids: str) -> int:
    """Record that the broker messages of `job_ids` were sent (first time only), in one UPDATE.
    Returns how many rows changed."""
    if not job_ids:
        return 0
    where = Job.id == job_ids[0] if len(job_ids) == 1 else Job.id.in_(job_ids)
    return Job.update(dispatched_at=utcnow()).where(where, Job.dispatched_at.is_null()).execute()


def claim(job_id: str) -> Job | None:
    """queued -> running, counting the attempt. Returns the claimed job, or None if
    it is not queued (a duplicate delivery, a cancelled or finished job)."""
    now = utcnow()
    rows = list(Job.update(state="running", attempts=Job.attempts + 1, started_at=now, error=None, updated_at=now,
                           version=Job.version + 1)
                .where(Job.id == job_id, Job.state == "queued").returning(Job).execute())
    if not rows:
        cancel_if_requested(job_id)
        return None
    return rows[0]


def claim_more(job_type: str, limit: int, exclude: str) -> list[Job]:
    """Claim up to `limit` more due queued jobs of `job_type` besides `exclude` (queued ->
    running, counting each attempt), oldest first, in one UPDATE; rows another worker is
    claiming are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL). Their own messages, delivered
    later, find them running or finished: duplicate deliveries, no-ops. Returns the claimed jobs."""
    if limit < 1:
        return []
    now = utcnow()
    due = (Job.select(Job.id)
           .where(Job.type == job_type, Job.state == "queued", Job.id != exclude,
                  Job.run_after.is_null() | (Job.run_after <= now))
           .order_by(Job.updated_at).limit(limit))
    if is_postgres():
        due = due.for_update("FOR UPDATE SKIP LOCKED")
    return list(Job.update(state="running", attempts=Job.attempts + 1, started_at=now, error=None, updated_at=now,
                           version=Job.version + 1)
                .where(Job.id.in_(due), Job.state == "queued").returning(Job).execute())


def cancel_if_requested(job_id: str) -> bool:
    """cancel_requested -> cancelled (the job's next checkpoint or a queued pick-up)."""
    ok = _transition(job_id, ("cancel_requested",), state="cancelled", finished_at=utcnow())
    if ok:
        _announce(job_id, "cancelled")
    return ok


def _progress(completed: int | None, total: int | None, message: str | None) -> dict:
    """The job columns a progress report sets (None: left as they are; a message cut to 500 characters)."""
    changes = {}
    if completed is not None:
        changes["progress_completed"] = completed
    if total is not None:
        changes["progress_total"] = total
    if message is not None:
        changes["progress_message"] = message[:500]
    return changes


def heartbeat(job_id: str, completed: int | None = None, total: int | None = None, message: str | None = None) -> bool:
    """Renew a running job's lease and optionally report progress.

    Returns False when the job is no longer `running` (e.g. a cancel was requested).
    """
    return _transition(job_id, ("running",), **_progress(completed, total, message))


def succeed(job_id: str, result: dict | None) -> bool:
    """running -> succeeded with `result`; progress is set to complete (total, or 1 of 1)."""
    total = Case(None, [(Job.progress_total > 0, Job.progress_total)], 1)
    ok = _transition(job_id, ("running",), state="succeeded", result=result, finished_at=utcnow(),
                     progress_completed=total, progress_total=total)
    if ok:
        _announce(job_id, "succeeded")
    return ok


def fail(job_id: str, error: dict, result: dict | None = None) -> bool:
    """running -> failed with `error` (`{"code", "reason", "message", "details"}`)."""
    changes = {"state": "failed", "error": error, "finished_at": utcnow()}
    if result is not None:
        changes["result"] = result
    ok = _transition(job_id, ("running",), **changes)
    if ok:
        _announce(job_id, "failed")
    return ok


def retry_delay_seconds(attempts: int) -> float:
    """Exponential backoff before attempt `attempts + 1`: 1 s, 2 s, 4 s ... capped at 300 s."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1)))


def requeue_after_transient(job_id: str, error: dict) -> str:
    """After a transient failure: running -> queued (undispatched, to run after the backoff) if
    attempts remain, else -> failed.

    Returns the new state ("queued", "failed") or "" if the job was not running (or is gone).
    """
    job = Job.get_or_none(Job.id == job_id)
    if job is None:
        return ""
    if job.attempts >= job.max_attempts:
        error = dict(error, reason=error.get("reason", "transient_error"), attemptsExhausted=True)
        return "failed" if fail(job_id, error) else ""
    run_after = utcnow() + dt.timedelta(seconds=retry_delay_seconds(job.attempts))
    ok = _transition(job_id, ("running",), state="queued", error=error, run_after=run_after, dispatched_at=None)
    return "queued" if ok else ""


def request_cancel(job: Job) -> Job:
    """queued|running -> cancel_requested (a queued job is cancelled when picked up).

    Only while the job is `cancellable`: the conditional UPDATE also requires it, so a
    cancel racing `mark_committed` either lands first (the job's commit then fails and
    rolls back) or is refused. Raises Conflict (409 `job_finished` when the job already
    ended, `job_not_cancellable` once it passed its commit point).
    """
    changed = Job.update(state="cancel_requested", updated_at=utcnow(), version=Job.version + 1).where(
        Job.id == job.id, Job.state.in_(("queued", "running")), Job.cancellable == True).execute()  # noqa: E712
    fresh = Job.get_by_id(job.id)
    if not changed:
        if fresh.state in TERMINAL_STATES:
            raise Conflict(f"Job already {fresh.state}", reason="job_finished")
        if not fresh.cancellable:
            raise Conflict("The job already committed its work and will finish; it cannot be cancelled",
                           reason="job_not_cancellable")
    return fresh


def mark_committed(job_id: str, completed: int | None = None, total: int | None = None,
                   message: str | None = None) -> bool:
    """The running job reached its commit point (call inside the transaction that commits its
    work, e.g. the checkout's order): clear `cancellable` so no cancel is accepted from now on,
    and record the progress the work made (`completed` of `total`, `message`, as `heartbeat`
    does) in the same UPDATE, which also renews the lease (`updated_at`).

    One conditional UPDATE that succeeds only while the job is `running`; False means a
    cancel was requested first (or the job is not running): the caller should raise
    JobCancelled so its transaction rolls back. On PostgreSQL the row stays locked until
    the caller commits, so a concurrent `request_cancel` waits and is then refused.
    """
    return _transition(job_id, ("running",), cancellable=False, **_progress(completed, total, message))


def retry_failed(job: Job) -> Job:
    """Admin retry: failed -> queued with a fresh attempt budget. Raises Conflict unless failed."""
    with atomic():
        ok = _transition(job.id, ("failed",), state="queued", error=None, finished_at=None,
                         dispatched_at=None, attempts=0, run_after=None)
    if not ok:
        raise Conflict("Only failed jobs can be retried", reason="job_not_failed")
    return Job.get_by_id(job.id)


def list_jobs(owner_id: str | None, job_type: str | None, state: str | None, page: int, limit: int):
    """A page of jobs, newest first; `owner_id=None` lists everyone's. Returns (jobs, total)."""
    query = Job.select()
    if owner_id is not None:
        query = query.where(Job.owner_id == owner_id)
    if job_type:
        query = query.where(Job.type == job_type)
    if state:
        query = query.where(Job.state == state)
    total = query.count()
    jobs = list(query.order_by(Job.created_at.desc(), Job.id).paginate(page, limit))
    return jobs, total


REDACTED = {"redacted": True}


def redact(job_ids) -> int:
    """Replace the payload of each finished job among `job_ids` with `REDACTED` (the personal data an
    erased account's jobs carried, e.g. a checkout's addresses: services.customers.erasure); queued
    and running jobs are left alone. Returns how many jobs changed (0 on a re-run)."""
    ids = list(dict.fromkeys(job_ids))
    changed = 0
    for start in range(0, len(ids), 500):
        changed += Job.update(payload=REDACTED, version=Job.version + 1).where(
            Job.id.in_(ids[start:start + 500]), Job.state.in_(TERMINAL_STATES), Job.payload != REDACTED).execute()
    return changed
