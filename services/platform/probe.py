"""The probe job: a job that does nothing, to measure and check the job pipeline itself.

`POST /api/v1/jobs/probes` (admin) writes one `probe` job, the API dispatches
it, a worker on the `maintenance` queue claims and finishes it. Its result
reports how long it waited: what the platform alone costs per job (write,
dispatch, claim, finish), with no domain work. `make bench` drives it for the
no-op job scenario; operators use it to check that workers consume.
"""

from __future__ import annotations

from models.db import utcnow
from models.jobs import Job
from services.platform.jobcontext import JobContext
from services.platform.jobs import create_job


def create_probe(owner_id: str | None) -> Job:
    """Write one `probe` job (call inside the request's transaction). Returns the job."""
    return create_job("probe", {}, owner_id=owner_id)


def run_probe(job: Job, ctx: JobContext) -> dict:
    """`probe` handler: no work. Returns `{"waitedMs": ms from creation to this claim}`."""
    waited = (utcnow() - job.created_at).total_seconds() * 1000 if job.created_at else 0.0
    return {"waitedMs": round(max(0.0, waited), 1)}
