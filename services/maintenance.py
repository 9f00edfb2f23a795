"""Periodic maintenance, run as `maintenance` jobs (issue 3, deliverable 6).

The scheduler (`workers.scheduler`, APScheduler) calls `schedule_task(task,
period)` for each task on its timetable; that writes one `maintenance` job
`{"task": name, "period": key}` which a worker runs through
`run_maintenance(job, ctx)`. Tasks (all times UTC):

- `expire_carts`: active carts past `expires_at` -> `expired` (converted and
  already expired carts are never touched).
- `abandoned_cart_reminders`: a customer's active, non-empty, unexpired cart
  untouched for `ABANDONED_CART_HOURS` -> one `cart.abandoned` event, once per cart.
- `loyalty_points_reminders`: each user named by
  `services.loyalty.accounts_with_unused_points(LOYALTY_REMINDER_DAYS)` -> one
  `loyalty.points_reminder` event per user and period of `LOYALTY_REMINDER_DAYS`
  days (skipped when the loyalty service is absent).
- `recommendations_nightly`: a `recommendations_train` job, once per UTC day
  (`RECOMMENDATIONS_NIGHTLY_HOUR` = -1 disables it; skipped while one is unfinished).
- `purge_expired_records`: expired idempotency keys, then `succeeded` and
  `cancelled` jobs finished more than `FINISHED_JOB_RETENTION_DAYS` ago. `failed`
  jobs are kept: they are the dead-letter list admins review and retry
  (`/api/v1/admin/jobs/failed`). Queued and running jobs are never touched, nor
  a job an unexpired idempotency key still replays.

Running a task twice changes nothing more, and so does running it from two
workers at once, because every write is conditional:

- state changes are conditional UPDATEs (`... WHERE status = 'active' AND expires_at <= now`);
- "once" actions (a reminder, a nightly training, the job of a period) record
  a *marker* in the same transaction as the action: a row of the idempotency
  key table in scope `maintenance` (unique on scope + key, with an expiry the
  hourly purge honours). A concurrent duplicate hits the unique index and rolls
  back whole, so the event is emitted exactly once.

That marker is also the per-task-per-period lock of `schedule_task`: several
schedulers (a second `python -m workers.scheduler`, or embedded processes
sharing a database) write at most one job per task and period.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

import peewee
from peewee import fn

import config
from models.carts import Cart, CartItem
from models.db import atomic, isoformat, utcnow
from models.jobs import IdempotencyKey, Job
from services import events, idempotency, jobs
from services.errors import ValidationFailed

log = logging.getLogger(__name__)

MARKER_SCOPE = "maintenance"
MARKER_HASH = "maintenance-marker"
UNFINISHED_STATES = ("queued", "running", "cancel_requested")
BATCH = 500  # rows per transaction / progress step (bulk updates and deletes)
REMINDER_BATCH = 50  # reminders per transaction (each in its own savepoint)


class _Skip(Exception):
    """Raised inside `once` to roll the marker back (the action no longer applies)."""


def once(key: str, expires_at: dt.datetime, action: Callable[[], Job | None]) -> tuple[bool, Job | None]:
    """Run `action()` and record marker `key` in one transaction (a savepoint inside one), unless
    the marker exists.

    Returns `(ran, job)`: `ran` is False when the marker was already there (or a
    concurrent run recorded it first, or the action raised `_Skip`); `job` is
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
    except (_Skip, peewee.IntegrityError):
        return False, None


def has_marker(key: str) -> bool:
    """True when marker `key` is recorded (and not purged)."""
    return IdempotencyKey.select().where(IdempotencyKey.scope == MARKER_SCOPE, IdempotencyKey.key == key).exists()


def _markers(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return {k for (k,) in IdempotencyKey.select(IdempotencyKey.key).where(
        IdempotencyKey.scope == MARKER_SCOPE, IdempotencyKey.key.in_(keys)).tuples()}


# --------------------------------------------------------------------------- tasks

def expire_carts(job: Job, ctx, now: dt.datetime) -> dict:
    """Active carts whose `expires_at` passed -> `expired`, in batches. Result: `{"expired": n}`."""
    due = Cart.select(Cart.id).where(Cart.status == "active", Cart.expires_at <= now)
    total = due.count()
    ctx.progress(0, total, f"{total} cart(s) past their expiry")
    expired = 0
    while True:
        batch = [cid for (cid,) in due.order_by(Cart.expires_at, Cart.id).limit(BATCH).tuples()]
        if not batch:
            break
        with atomic():
            n = Cart.update(status="expired", updated_at=now).where(
                Cart.id.in_(batch), Cart.status == "active", Cart.expires_at <= now).execute()
        expired += n
        ctx.progress(expired, max(total, expired), f"{expired} cart(s) expired")
        if len(batch) < BATCH:
            break
    return {"expired": expired}


def _abandoned(cutoff: dt.datetime, now: dt.datetime):
    """Customers' active, unexpired, non-empty carts last touched at or before `cutoff`."""
    return Cart.select(Cart.id, Cart.customer, Cart.updated_at, Cart.expires_at).where(
        Cart.status == "active", Cart.customer.is_null(False), Cart.updated_at <= cutoff, Cart.expires_at > now,
        fn.EXISTS(CartItem.select(CartItem.id).where(CartItem.cart == Cart.id)))


def remind_once_each(ctx, subjects: list, key_of: Callable, expires_of: Callable, emit_for: Callable,
                     what: str) -> tuple[int, int]:
    """For each subject without its marker, run `emit_for(subject)` under marker `key_of(subject)`
    (see `once`). Batches of `REMINDER_BATCH` share one transaction (each marker in its own
    savepoint, so a duplicate only undoes itself); progress after each batch.
    Returns `(reminded, already)`."""
    reminded = already = 0
    for start in range(0, len(subjects), REMINDER_BATCH):
        chunk = subjects[start:start + REMINDER_BATCH]
        done = _markers([key_of(subject) for subject in chunk])
        with atomic():
            for subject in chunk:
                key = key_of(subject)
                ran = key not in done and once(key, expires_of(subject), lambda s=subject: emit_for(s))[0]
                reminded += ran
                already += not ran
        ctx.progress(min(start + REMINDER_BATCH, len(subjects)), len(subjects), f"{reminded} {what}(s)")
    return reminded, already


def abandoned_cart_reminders(job: Job, ctx, now: dt.datetime) -> dict:
    """Emit `cart.abandoned` (subject: cart id; data: customerId, itemCount (units), lastActivityAt)
    once per abandoned cart (marker `cart.abandoned:{cart id}`, kept until a day after the
    cart expires). Result: `{"candidates", "reminded", "alreadyReminded"}`."""
    cutoff = now - dt.timedelta(hours=config.get().abandoned_cart_hours)
    carts = list(_abandoned(cutoff, now).order_by(Cart.updated_at, Cart.id))
    ctx.progress(0, len(carts), f"{len(carts)} abandoned cart(s)")

    def remind(cart):
        fresh = _abandoned(cutoff, now).where(Cart.id == cart.id).first()  # still abandoned?
        if fresh is None:
            raise _Skip()
        units = CartItem.select(fn.SUM(CartItem.quantity)).where(CartItem.cart == cart.id).scalar() or 0
        return events.emit("cart.abandoned", cart.id, {
            "customerId": fresh.customer_id, "itemCount": units, "lastActivityAt": isoformat(fresh.updated_at)},
            parent_id=job.id)

    reminded, already = remind_once_each(ctx, carts, lambda c: f"cart.abandoned:{c.id}",
                                         lambda c: c.expires_at + dt.timedelta(days=1), remind, "reminder")
    return {"candidates": len(carts), "reminded": reminded, "alreadyReminded": already}


def loyalty_period(now: dt.datetime, days: int) -> tuple[int, dt.datetime, dt.datetime]:
    """The reminder period containing `now`: `(index, start, end)`, periods being
    consecutive runs of `days` days counted from 0001-01-01 (proleptic ordinal)."""
    index = (now.date().toordinal() - 1) // days
    start = dt.datetime.fromordinal(index * days + 1)
    return index, start, start + dt.timedelta(days=days)


def loyalty_points_reminders(job: Job, ctx, now: dt.datetime) -> dict:
    """Emit `loyalty.points_reminder` (subject: user id) for each user
    `services.loyalty.accounts_with_unused_points(LOYALTY_REMINDER_DAYS)` names, at most
    once per user and period (marker `loyalty.points_reminder:{user}:{period index}`).
    Result: `{"candidates", "reminded", "alreadyReminded", "period"}`, or `{"skipped":
    "loyalty_unavailable"}` when the loyalty service is not installed."""
    try:
        from services import loyalty

        find = loyalty.accounts_with_unused_points
    except (ImportError, AttributeError):
        log.info("maintenance: services.loyalty.accounts_with_unused_points is not available; skipped")
        return {"skipped": "loyalty_unavailable"}
    days = config.get().loyalty_reminder_days
    index, start, end = loyalty_period(now, days)
    user_ids = list(dict.fromkeys(find(days)))
    ctx.progress(0, len(user_ids), f"{len(user_ids)} account(s) with unused points")
    reminded, already = remind_once_each(
        ctx, user_ids, lambda uid: f"loyalty.points_reminder:{uid}:{index}", lambda uid: end + dt.timedelta(days=1),
        lambda uid: events.emit("loyalty.points_reminder", uid,
                                {"periodStart": isoformat(start), "periodEnd": isoformat(end)}, parent_id=job.id),
        "reminder")
    return {"candidates": len(user_ids), "reminded": reminded, "alreadyReminded": already,
            "period": {"index": index, "start": isoformat(start), "end": isoformat(end)}}


def _training_job(parent_id: str) -> Job:
    """A `recommendations_train` job with default options, made by
    `services.recommendations.start_training` when that service is installed (else written
    directly with payload `{"options": {}}`), as a child of the maintenance job."""
    try:
        from services import recommendations

        start = recommendations.start_training
    except (ImportError, AttributeError):
        start = None
    train = start() if start is not None else jobs.create_job("recommendations_train", {"options": {}})
    Job.update(parent_id=parent_id).where(Job.id == train.id).execute()
    train.parent_id = parent_id
    return train


def recommendations_nightly(job: Job, ctx, now: dt.datetime) -> dict:
    """Create a `recommendations_train` job with default options, at most once per UTC day
    (marker `recommendations_train:{date}`) and not while another is unfinished.
    Result: `{"created": bool, "jobId"?, "reason"?}`."""
    if config.get().recommendations_nightly_hour < 0:
        return {"created": False, "reason": "disabled"}
    if "recommendations_train" not in jobs.JOB_TYPES:
        return {"created": False, "reason": "no_such_job_type"}
    if Job.select().where(Job.type == "recommendations_train", Job.state.in_(UNFINISHED_STATES)).exists():
        return {"created": False, "reason": "training_in_progress"}
    key = f"recommendations_train:{now.date().isoformat()}"
    ran, train = once(key, now + dt.timedelta(days=2), lambda: _training_job(job.id))
    if not ran:
        return {"created": False, "reason": "already_trained_today"}
    return {"created": True, "jobId": train.id}


def purge_expired_records(job: Job, ctx, now: dt.datetime) -> dict:
    """Delete expired idempotency keys (markers included), then `succeeded`/`cancelled` jobs
    finished before now - `FINISHED_JOB_RETENTION_DAYS` that no unexpired key refers to,
    in batches. `failed` jobs are kept (dead letters). Result: `{"idempotencyKeys", "jobs"}`."""
    keys = idempotency.purge_expired()
    cutoff = now - dt.timedelta(days=config.get().finished_job_retention_days)
    referenced = IdempotencyKey.select(IdempotencyKey.job_id).where(IdempotencyKey.expires_at >= now)
    due = Job.select(Job.id).where(Job.state.in_(("succeeded", "cancelled")), Job.finished_at < cutoff,
                                   Job.id.not_in(referenced))
    total = due.count()
    ctx.progress(0, total, f"{keys} expired key(s) deleted; {total} finished job(s) past retention")
    deleted = 0
    while True:
        batch = [jid for (jid,) in due.order_by(Job.finished_at).limit(BATCH).tuples()]
        if not batch:
            break
        with atomic():
            deleted += Job.delete().where(Job.id.in_(batch), Job.state.in_(("succeeded", "cancelled"))).execute()
        ctx.progress(deleted, max(total, deleted), f"{deleted} finished job(s) deleted")
        if len(batch) < BATCH:
            break
    return {"idempotencyKeys": keys, "jobs": deleted, "retentionDays": config.get().finished_job_retention_days}


TASKS: dict[str, Callable[[Job, object, dt.datetime], dict]] = {
    "expire_carts": expire_carts,
    "abandoned_cart_reminders": abandoned_cart_reminders,
    "loyalty_points_reminders": loyalty_points_reminders,
    "recommendations_nightly": recommendations_nightly,
    "purge_expired_records": purge_expired_records,
}


def run_maintenance(job: Job, ctx) -> dict:
    """`maintenance` job handler: run `job.payload["task"]` (one of `TASKS`).

    Returns `{"task": name, ...the task's counts}`. Raises ValidationFailed
    (`unknown_maintenance_task`, the job fails without retry) for another name.
    """
    task = (job.payload or {}).get("task")
    handler = TASKS.get(task) if isinstance(task, str) else None
    if handler is None:
        raise ValidationFailed(f"Unknown maintenance task {task!r}", reason="unknown_maintenance_task",
                               details=[{"field": "task", "message": f"One of {', '.join(TASKS)}"}])
    result = handler(job, ctx, utcnow())
    return {"task": task, **result}


def schedule_task(task: str, period: str, period_end: dt.datetime) -> Job | None:
    """Write the `maintenance` job for `task` in period `period` (e.g. `2025-01-15T10:15`),
    unless a scheduler already wrote it (marker `schedule:{task}:{period}`, kept until a day
    after `period_end`) or a job of this task is still unfinished (no pile-up behind a slow
    or stopped worker). Returns the new job (the caller dispatches it) or None.
    Raises ValueError for an unknown task."""
    if task not in TASKS:
        raise ValueError(f"unknown maintenance task {task!r}")
    unfinished = Job.select(Job.payload).where(Job.type == "maintenance", Job.state.in_(UNFINISHED_STATES))
    if any((row.payload or {}).get("task") == task for row in unfinished):
        return None
    _, job = once(f"schedule:{task}:{period}", period_end + dt.timedelta(days=1),
                  lambda: jobs.create_job("maintenance", {"task": task, "period": period}))
    return job
