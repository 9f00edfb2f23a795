"""Finding jobs that should be running and are not (DESIGN.md 4.4): the outbox relay's reads.

- `undispatched(grace)`: queued jobs whose message was never sent (the request or
  job that wrote them crashed after commit, or the broker was down).
- `stale_dispatched(lease)`: queued jobs whose message was sent longer than the
  dispatch lease ago (`DISPATCH_LEASE_SECONDS`) and never picked up: lost with a
  Redis restart, or prefetched by a worker process that was killed. The relay
  sends them again and `mark_redispatched` restarts their dispatch lease; a
  message that was only slow is then delivered twice, and the second claim is
  a no-op. A job waiting for its retry backoff (`run_after`) counts from then.
- `release_dead_lettered(job_ids)`: jobs whose message the broker dead-lettered
  are marked undispatched again, so the relay sends them.
- `reclaim_expired_leases()`: running jobs whose heartbeat is older than their
  type's lease (`job_types.lease_seconds`) go back to `queued` (undispatched, so
  the relay sends them), or to `failed` when no attempt is left; a
  `cancel_requested` job whose worker is gone becomes `cancelled`. The lease age
  is checked by the UPDATE itself, so a job that heartbeated after the relay
  looked is never taken from its worker.
- `requeue_all_for_restart()`: embedded start-up (one process, in-memory broker).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from models.db import utcnow
from models.jobs import Job
from services.platform.job_types import JOB_TYPES, lease_seconds

LEASE_EXPIRED_ERROR = {"code": "INTERNAL_ERROR", "reason": "lease_expired",
                       "message": "The worker stopped responding and no attempts remain", "details": []}


def undispatched(older_than_seconds: float, limit: int = 500) -> list[Job]:
    """Queued jobs whose message was never sent (or must be re-sent), oldest first, at most `limit`."""
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    return list(Job.select().where(Job.state == "queued", Job.dispatched_at.is_null(), Job.updated_at <= cutoff,
                                   (Job.run_after.is_null()) | (Job.run_after <= now))
                .order_by(Job.created_at).limit(limit))


def stale_dispatched(lease_seconds: float, limit: int = 500) -> list[Job]:
    """Queued jobs whose message was sent more than `lease_seconds` ago (and whose retry
    backoff, if any, ended that long ago) but no worker claimed them; oldest first."""
    cutoff = utcnow() - dt.timedelta(seconds=lease_seconds)
    return list(Job.select().where(Job.state == "queued", Job.dispatched_at < cutoff,
                                   (Job.run_after.is_null()) | (Job.run_after < cutoff))
                .order_by(Job.dispatched_at).limit(limit))


def mark_redispatched(job_ids: list[str]) -> int:
    """Restart the dispatch lease of `job_ids` (sent again just now), in one UPDATE of the ones
    still queued. Returns how many rows changed."""
    if not job_ids:
        return 0
    return Job.update(dispatched_at=utcnow()).where(Job.id.in_(job_ids), Job.state == "queued").execute()


def release_dead_lettered(job_ids: list[str]) -> int:
    """The broker dead-lettered these jobs' messages: mark the ones still queued undispatched, so
    the relay sends them. Returns how many rows changed."""
    if not job_ids:
        return 0
    return Job.update(dispatched_at=None).where(Job.id.in_(job_ids), Job.state == "queued").execute()


def _types_by_lease() -> dict[int, list[str]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for name in JOB_TYPES:
        groups[lease_seconds(name)].append(name)
    return groups


def reclaim_expired_leases() -> list[str]:
    """Re-queue running jobs whose lease expired; fail those out of attempts; cancel abandoned
    `cancel_requested` jobs. Three conditional UPDATEs per distinct lease length.

    Returns the ids re-queued (the relay then sends them).
    """
    requeued: list[str] = []
    now = utcnow()
    for lease, types in _types_by_lease().items():
        cutoff = now - dt.timedelta(seconds=lease)
        expired = (Job.type.in_(types)) & (Job.updated_at < cutoff)
        Job.update(state="cancelled", finished_at=now, updated_at=now, version=Job.version + 1).where(
            expired, Job.state == "cancel_requested").execute()
        Job.update(state="failed", finished_at=now, updated_at=now, error=LEASE_EXPIRED_ERROR,
                   version=Job.version + 1).where(
            expired, Job.state == "running", Job.attempts >= Job.max_attempts).execute()
        rows = (Job.update(state="queued", dispatched_at=None, updated_at=now, version=Job.version + 1)
                .where(expired, Job.state == "running", Job.attempts < Job.max_attempts)
                .returning(Job.id).execute())
        requeued += [row.id for row in rows]
    return requeued


def requeue_all_for_restart() -> int:
    """Embedded start-up: no other process can hold a job, and the in-memory broker
    lost its messages, so every running or queued job is marked undispatched again
    (and abandoned cancel requests are cancelled). Returns how many jobs changed."""
    now = utcnow()
    n = Job.update(state="queued", dispatched_at=None, updated_at=now).where(Job.state == "running").execute()
    n += Job.update(dispatched_at=None).where(Job.state == "queued").execute()
    n += Job.update(state="cancelled", finished_at=now).where(Job.state == "cancel_requested").execute()
    return n
