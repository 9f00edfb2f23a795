"""The one helper that sends job messages (after the job row is committed).

`register(job_type, actor)` is called by each actor module; `dispatch(job)`
sends the job id to its actor and marks the row dispatched; `dispatch_many`
sends several and marks them in one UPDATE. A failed send is logged and left
to the outbox relay, which re-sends undispatched jobs (and, after the
dispatch lease, jobs sent but never picked up).
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


def send(job: Job, delay_ms: int | None = None) -> bool:
    """Send `job`'s message to its actor (after `delay_ms` milliseconds), without touching its row.
    Returns False when the send failed or no actor handles the type in this process."""
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
    job.dispatched_at = utcnow()
    return True


def _mark(job_ids: list[str]) -> None:
    try:
        jobs.mark_dispatched(*job_ids)
    except Exception:  # noqa: BLE001 - sent but not marked: the relay sends them again, a harmless duplicate
        log.warning("jobs %s sent but not marked dispatched; the relay will re-send them", job_ids, exc_info=True)


def dispatch(job: Job, delay_ms: int | None = None) -> bool:
    """Send `job` to its actor and mark it dispatched. Returns False when the send failed
    (or no actor handles the type in this process: the relay retries later)."""
    if not send(job, delay_ms):
        return False
    _mark([job.id])
    return True


def dispatch_many(batch: list[Job]) -> list[str]:
    """Send every job of `batch`, then mark the sent ones dispatched in one UPDATE.
    Returns the ids sent."""
    sent = [job.id for job in batch if send(job)]
    if sent:
        _mark(sent)
    return sent


def dispatch_created(created: list[Job]) -> int:
    """Send the jobs a request or a job created (see services.platform.jobs.collect_created) that were
    not sent yet. A job whose transaction rolled back has no row: its message is a no-op."""
    return len(dispatch_many([job for job in created if job.dispatched_at is None]))
