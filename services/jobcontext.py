"""What a running job's handler gets: progress reporting, lease renewal and cancellation checkpoints."""

from __future__ import annotations

from models.jobs import Job
from services import jobs


class JobCancelled(Exception):
    """Raised at a checkpoint when a cancel was requested; the runner marks the job cancelled."""


class JobContext:
    """Handed to a job handler as `handler(job, ctx)`.

    `progress(completed, total, message)` records progress and renews the
    lease; it raises JobCancelled when the job is no longer running (a cancel
    was requested), which is the handler's checkpoint.
    """

    def __init__(self, job: Job):
        self.job = job

    def progress(self, completed: int | None = None, total: int | None = None, message: str | None = None) -> None:
        if not jobs.heartbeat(self.job.id, completed, total, message):
            raise JobCancelled(self.job.id)

    def checkpoint(self) -> None:
        """Renew the lease; raise JobCancelled if a cancel was requested."""
        self.progress()
