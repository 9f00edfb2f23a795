"""The periodic rollup: maintenance task `analytics_rollup` (services.maintenance; the scheduler
writes it every `workers.scheduler.MAINTENANCE_INTERVALS["analytics_rollup"]` seconds) starts an
`analytics_rollup` job for yesterday and today (UTC), as a child of the maintenance job."""

from __future__ import annotations

import datetime as dt

from models.jobs import Job
from services.analytics.rollup import JOB_TYPE, start_rollup
from services.platform import periodic

SCHEDULED_DAYS = 2  # yesterday and today


def schedule_analytics_rollup(job: Job, ctx, now: dt.datetime) -> dict:
    """Create the `analytics_rollup` job for the `SCHEDULED_DAYS` days ending today, once per
    maintenance job (marker `analytics_rollup:{maintenance job id}`, so a retried maintenance job
    starts no second rollup) and not while another rollup is unfinished (the next run catches up).
    Result: `{"created": bool, "jobId"?, "from"?, "to"?, "skipped"?}`."""
    if periodic.unfinished(JOB_TYPE):
        return {"created": False, "skipped": "rollup_in_progress"}
    last = now.date()
    first = last - dt.timedelta(days=SCHEDULED_DAYS - 1)
    ran, rollup = periodic.once(f"analytics_rollup:{job.id}", now + dt.timedelta(days=2),
                                lambda: start_rollup(first, last, parent_id=job.id))
    if not ran:
        return {"created": False, "skipped": "already_started"}
    return {"created": True, "jobId": rollup.id, "from": first.isoformat(), "to": last.isoformat()}
