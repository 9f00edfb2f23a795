"""The periodic-task runner's building blocks: "at most once" markers and the
per-task-per-period job of the scheduler.

A *marker* is a row of the idempotency key table in scope `maintenance`
(unique on scope + key, with an expiry the hourly purge honours), written in
the same transaction as the action it guards. A concurrent duplicate hits
the unique index and rolls back whole, so a reminder, a nightly training or
the job of one scheduling period happens exactly once however many
schedulers and workers run it.

`schedule_once(task, period, period_end)` writes the `maintenance` job of one
task and period (marker `schedule:{task}:{period}`), and nothing while the
task's previous job is unfinished, so a slow or stopped worker never lets
jobs pile up. Which tasks exist is `services.maintenance`'s business; this
module imports no domain package.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import peewee

from models.db import atomic
from models.jobs import IdempotencyKey, Job
from services.platform import jobs

MARKER_SCOPE = "maintenance"
MARKER_HASH = "maintenance-marker"
UNFINISHED_STATES = ("queued", "running", "cancel_requested")
REMINDER_BATCH = 50  # "once" actions per transaction (each in its own savepoint)


class Skip(Exception):
    """Raise inside a `once` action to roll its marker back (the action no longer applies)."""


def once(key: str, expires_at: dt.datetime, action: Callable[[], Job | None]) -> tuple[bool, Job | None]:
    """Run `action()` and record marker `key` in one transaction (a savepoint inside one), unless
    the marker exists.

    Returns `(ran, job)`: `ran` is False when the marker was already there (or a
    concurrent run recorded it first, or the action raised `Skip`); `job` is
    what the action returned (its id is stored on the marker).
    """
    try:
        with atomic():
            if IdempotencyKey.select().where(IdempotencyKey.scope == MARKER_SCOPE,
                                             IdempotencyKey.key == key).exists():
                return False, None
            row = IdempotencyKey.create(scope=MARKER_SCOPE, key=key, request_hash=MARKER_HASH, job_id="",
                                        expires_at=expires_at)
            job = action()
            if job is not None:
                IdempotencyKey.update(job_id=job.id).where(IdempotencyKey.id == row.id).execute()
        return True, job
    except (Skip, peewee.IntegrityError):
        return False, None


def has_marker(key: str) -> bool:
    """True when marker `key` is recorded (and not purged)."""
    return IdempotencyKey.select().where(IdempotencyKey.scope == MARKER_SCOPE, IdempotencyKey.key == key).exists()


def existing_markers(keys: list[str]) -> set[str]:
    """The keys among `keys` whose marker is recorded (one query)."""
    if not keys:
        return set()
    return {k for (k,) in IdempotencyKey.select(IdempotencyKey.key).where(
        IdempotencyKey.scope == MARKER_SCOPE, IdempotencyKey.key.in_(keys)).tuples()}


def once_each(ctx, subjects: list, key_of: Callable, expires_of: Callable, action: Callable,
              what: str) -> tuple[int, int]:
    """For each subject without its marker, run `action(subject)` under marker `key_of(subject)`
    (see `once`). Batches of `REMINDER_BATCH` share one transaction (each marker in its own
    savepoint, so a duplicate only undoes itself); progress after each batch.
    Returns `(done, already)`: subjects acted on, and subjects skipped (marker present, or Skip)."""
    done = already = 0
    for start in range(0, len(subjects), REMINDER_BATCH):
        chunk = subjects[start:start + REMINDER_BATCH]
        recorded = existing_markers([key_of(subject) for subject in chunk])
        with atomic():
            for subject in chunk:
                key = key_of(subject)
                ran = key not in recorded and once(key, expires_of(subject), lambda s=subject: action(s))[0]
                done += ran
                already += not ran
        ctx.progress(min(start + REMINDER_BATCH, len(subjects)), len(subjects), f"{done} {what}(s)")
    return done, already


def unfinished(job_type: str, payload_task: str | None = None) -> bool:
    """True while a job of `job_type` (with `payload["task"] == payload_task`, when given) is
    queued, running or being cancelled."""
    rows = Job.select(Job.payload).where(Job.type == job_type, Job.state.in_(UNFINISHED_STATES))
    if payload_task is None:
        return rows.exists()
    return any((row.payload or {}).get("task") == payload_task for row in rows)


def schedule_once(task: str, period: str, period_end: dt.datetime) -> Job | None:
    """Write the `maintenance` job `{"task", "period"}` for `task` in `period` (e.g.
    `2025-01-15T10:15`), unless a scheduler already wrote it (marker `schedule:{task}:{period}`,
    kept until a day after `period_end`) or a job of this task is still unfinished.
    Returns the new job (the caller dispatches it) or None."""
    if unfinished("maintenance", task):
        return None
    _, job = once(f"schedule:{task}:{period}", period_end + dt.timedelta(days=1),
                  lambda: jobs.create_job("maintenance", {"task": task, "period": period}))
    return job
