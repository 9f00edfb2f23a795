"""The one helper that sends job messages (after the job row is committed).

`register(job_type, actor)` is called by each actor module; `dispatch(job)`
sends the job id to its actor and marks the row dispatched. A failed send is
logged and left to the outbox relay, which re-sends undispatched jobs.
"""

from __future__ import annotations

import logging

from models.db import utcnow
from models.jobs import Job
from services.platform import jobs

log = logging.getLogger(__name__)

ACTORS: dict = {}


def register(job_type: str, actor) -> None:
    """Route jobs of `job_type` to the Dramatiq `actor` (which takes the job id)."""
    ACTORS[job_type] = actor


def dispatch(job: Job, delay_ms: int | None = None) -> bool:
    """Send `job` to its actor and mark it dispatched. Returns False when the send failed
    (or no actor handles the type in this process: the relay retries later)."""
    actor = ACTORS.get(job.type)
    if actor is None:
        log.error("no actor registered for job type %s (job %s)", job.type, job.id)
        return False
    try:
        if delay_ms:
            actor.send_with_options(args=(job.id,), delay=delay_ms)
        else:
            actor.send(job.id)
    except Exception:  # broker down: the relay will send it
        log.exception("could not send job %s; the relay will retry", job.id)
        return False
    jobs.mark_dispatched(job.id)
    job.dispatched_at = utcnow()
    return True


def dispatch_created(created: list[Job]) -> int:
    """Send the jobs a request or a job created (see services.platform.jobs.collect_created) that were
    not sent yet. A job whose transaction rolled back has no row: its message is a no-op."""
    return sum(dispatch(job) for job in created if job.dispatched_at is None)
