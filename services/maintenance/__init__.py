"""The periodic task list, run as `maintenance` jobs. Only the scheduler (and the worker
that runs `maintenance` jobs) imports this package; each task lives in its domain package.

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
  `loyalty.points_reminder` event per user and period of `LOYALTY_REMINDER_DAYS` days.
- `loyalty_points_expiry`: positive loyalty balances without an earn or redemption for
  `LOYALTY_POINTS_EXPIRY_DAYS` -> one `expire` ledger line each, once per idle balance
  (`services.loyalty.expire_idle_points`).
- `loyalty_tiers`: every loyalty account's tier recomputed from its lifetime points under the
  current tiers (`services.loyalty.recalculate_tiers`; written by the tier write routes in their
  transaction, not on a timetable).
- `recommendations_nightly`: a `recommendations_train` job, once per UTC day
  (`RECOMMENDATIONS_NIGHTLY_HOUR` = -1 disables it; skipped while one is unfinished).
- `purge_expired_records`: expired idempotency keys, then `succeeded` and
  `cancelled` jobs finished more than `FINISHED_JOB_RETENTION_DAYS` ago. `failed`
  jobs are kept: they are the dead-letter list admins review and retry
  (`/api/v1/admin/jobs/failed`). Queued and running jobs are never touched, nor
  a job an unexpired idempotency key still replays.
- `purge_expired_exports`: account data export files past their `expiresAt`
  (`ACCOUNT_EXPORT_TTL_DAYS`), of failed, cancelled or purged jobs, or replaced by a
  later attempt (`services.customers.purge_expired_exports`; hourly).
- `catalog_cache_cleanup`: catalog cache entries of older generations and orphans removed
  before their TTL would (`services.platform.catalog_ttl`; counts by kind).
- `expire_stock_reservations`: active stock reservations past `expires_at` -> `expired`, their
  units available again and announced (`services.catalog.expire_reservations`; every minute).
- `rotate_pii`: personal data still under an old PII key re-encrypted under the current one,
  keyed hashes recomputed (`services.platform.pii_rotation`; daily).
- `build_sitemap`: the sitemap documents rebuilt from the live catalog (`services.catalog.sitemap`;
  hourly).
- `analytics_rollup`: an `analytics_rollup` job recomputing yesterday's and today's rollup rows
  (`services.analytics.schedule_analytics_rollup`; every 15 minutes, skipped while a rollup runs).
- `flush_video_counters`: a `video_counters_flush` job adding the buffered video views and shares
  to the video rows (`services.content.schedule_counters_flush`; every minute, skipped while a
  flush runs).
- `expire_earn_projects`: active or paused earn projects past their expiry date -> `expired`
  (`services.wallet.expire_projects`; every 15 minutes; reads already hide them).

Running a task twice changes nothing more, and so does running it from two
workers at once, because every write is conditional:

- state changes are conditional UPDATEs (`... WHERE status = 'active' AND expires_at <= now`);
- "once" actions (a reminder, a nightly training, the job of a period) record
  a *marker* in the same transaction as the action (`services.platform.periodic`),
  so a concurrent duplicate rolls back whole and the event is emitted exactly once.

That marker is also the per-task-per-period lock of `schedule_task`: several
schedulers (a second `python -m workers.scheduler`, or embedded processes
sharing a database) write at most one job per task and period.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from models.db import utcnow
from models.jobs import Job
from services import analytics, catalog, content, customers, loyalty, orders, recommendations, wallet
from services.errors import ValidationFailed
from services.maintenance.reasons import REASONS
from services.platform import catalog_ttl, periodic, pii_rotation, retention

TASKS: dict[str, Callable[[Job, object, dt.datetime], dict]] = {
    "expire_carts": orders.expire_carts,
    "abandoned_cart_reminders": orders.abandoned_cart_reminders,
    "loyalty_points_reminders": loyalty.loyalty_points_reminders,
    "loyalty_points_expiry": loyalty.expire_idle_points,
    "loyalty_tiers": loyalty.recalculate_tiers,
    "recommendations_nightly": recommendations.recommendations_nightly,
    "purge_expired_records": retention.purge_expired_records,
    "purge_expired_exports": customers.purge_expired_exports,
    "catalog_cache_cleanup": catalog_ttl.cleanup_catalog_cache,
    "rotate_pii": pii_rotation.rotate_pii,
    "build_sitemap": catalog.build_sitemap_task,
    "expire_stock_reservations": catalog.expire_reservations,
    "analytics_rollup": analytics.schedule_analytics_rollup,
    "flush_video_counters": content.schedule_counters_flush,
    "expire_earn_projects": wallet.expire_projects,
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
    """Write the `maintenance` job for `task` in period `period` (e.g. `2025-01-15T10:15`), at
    most once per task and period and not while the task's previous job is unfinished (see
    `services.platform.periodic.schedule_once`). Returns the new job (the caller dispatches
    it) or None. Raises ValueError for an unknown task."""
    if task not in TASKS:
        raise ValueError(f"unknown maintenance task {task!r}")
    return periodic.schedule_once(task, period, period_end)

__all__ = ["REASONS", "TASKS", "run_maintenance", "schedule_task"]
