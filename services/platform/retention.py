"""Purging what the platform no longer needs: expired idempotency keys (markers included)
and finished jobs past their retention.

`succeeded` and `cancelled` jobs finished more than `FINISHED_JOB_RETENTION_DAYS`
ago are deleted, unless an unexpired idempotency key still replays them.
`failed` jobs are kept: they are the dead-letter list admins review and retry
(`/api/v1/admin/jobs/failed`). Queued and running jobs are never touched.
"""

from __future__ import annotations

import datetime as dt

import config
from models.db import atomic
from models.jobs import IdempotencyKey, Job
from services.platform import idempotency

BATCH = 500  # rows per transaction / progress step


def purge_expired_records(job: Job, ctx, now: dt.datetime) -> dict:
    """Delete expired keys, then finished jobs past retention, in batches of BATCH.
    Result: `{"idempotencyKeys": n, "jobs": n, "retentionDays": days}`."""
    keys = idempotency.purge_expired()
    days = config.get().finished_job_retention_days
    cutoff = now - dt.timedelta(days=days)
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
    return {"idempotencyKeys": keys, "jobs": deleted, "retentionDays": days}
