"""The nightly training, run by the periodic `maintenance` job `recommendations_nightly`
(`services.maintenance`) at `RECOMMENDATIONS_NIGHTLY_HOUR`:00 UTC."""

from __future__ import annotations

import datetime as dt

import config
from models.jobs import Job
from services.platform import periodic
from services.recommendations.training import start_training


def _training_job(parent_id: str) -> Job:
    """A `recommendations_train` job with default options, as a child of the maintenance job."""
    return start_training(parent_id=parent_id)


def recommendations_nightly(job: Job, ctx, now: dt.datetime) -> dict:
    """Create a `recommendations_train` job with default options, at most once per UTC day
    (marker `recommendations_train:{date}`) and not while another is unfinished.
    Result: `{"created": bool, "jobId"?, "reason"?}`."""
    if config.get().recommendations_nightly_hour < 0:
        return {"created": False, "reason": "disabled"}
    if periodic.unfinished("recommendations_train"):
        return {"created": False, "reason": "training_in_progress"}
    key = f"recommendations_train:{now.date().isoformat()}"
    ran, train = periodic.once(key, now + dt.timedelta(days=2), lambda: _training_job(job.id))
    if not ran:
        return {"created": False, "reason": "already_trained_today"}
    return {"created": True, "jobId": train.id}
