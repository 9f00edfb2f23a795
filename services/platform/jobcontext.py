"""What a running job's handler gets: progress reporting, lease renewal and cancellation checkpoints."""

from __future__ import annotations

from models.jobs import Job
from services.platform import jobs
from services.platform.heartbeat import keep_alive


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
        """Record progress (`completed` of `total` steps, a message of <= 500 characters) and renew
        the lease. Raises JobCancelled when a cancel was requested."""
        if not jobs.heartbeat(self.job.id, completed, total, message):
            raise JobCancelled(self.job.id)
        keep_alive.renewed(self.job.id)

    def checkpoint(self) -> None:
        """Renew the lease; raise JobCancelled if a cancel was requested."""
        self.progress()
