"""Maintenance actor (queue `maintenance`): runs the periodic `maintenance` jobs the scheduler writes."""

import dramatiq

from services import maintenance
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="run_maintenance", queue_name="maintenance", max_retries=0, time_limit=600_000)
def run_maintenance(job_id: str) -> None:
    """Run maintenance job `job_id`: the task named in its payload (see services.maintenance)."""
    run_job(job_id, maintenance.run_maintenance)


register("maintenance", run_maintenance)
