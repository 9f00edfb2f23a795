"""Job records (the source of truth for every asynchronous task) and idempotency keys."""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancel_requested", "cancelled")
TERMINAL_STATES = ("succeeded", "failed", "cancelled")


class Job(BaseModel):
    """A unit of asynchronous work, see DESIGN.md section 4.

    `dispatched_at` is null until the broker message is sent (transactional
    outbox); `updated_at` is the lease heartbeat of a running job; `attempts`
    counts claims, including ones a killed worker never finished.
    `cancellable` is cleared when the job passes its commit point (e.g. a checkout's
    order committed, `jobs.mark_committed`): from then on a cancel is refused and the
    job is finished, never cancelled (migration 0006).

    Indexes (migration 0007): partial ones for the platform's own reads - queued jobs
    by `dispatched_at` (the relay's unsent and stale messages, queue health), unfinished
    jobs by `(type, updated_at)` (lease reclaim, periodic tasks), finished jobs by
    `finished_at` (retention) - plus owner, parent and creation time for listings.
    """

    id = PrefixedIdField("job")
    type = peewee.CharField(max_length=50)
    queue = peewee.CharField(max_length=30)
    state = peewee.CharField(max_length=20, default="queued")
    owner_id = peewee.CharField(max_length=40, null=True, index=True)
    parent_id = peewee.CharField(max_length=40, null=True, index=True)
    payload = JSONField(default=dict)
    result = JSONField(null=True)
    error = JSONField(null=True)
    progress_completed = peewee.IntegerField(default=0)
    progress_total = peewee.IntegerField(default=0)
    progress_message = peewee.CharField(max_length=500, default="")
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField(default=5)
    version = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    started_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)
    dispatched_at = peewee.DateTimeField(null=True)
    run_after = peewee.DateTimeField(null=True)
    cancellable = peewee.BooleanField(default=True)


class IdempotencyKey(BaseModel):
    """`Idempotency-Key` of a job-creating POST, unique per caller scope; kept >= 24 h."""

    id = PrefixedIdField("idk")
    scope = peewee.CharField(max_length=60)
    key = peewee.CharField(max_length=255)
    request_hash = peewee.CharField(max_length=64)
    job_id = peewee.CharField(max_length=40)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        indexes = ((("scope", "key"), True),)


class QueueConsumption(BaseModel):
    """When a worker last claimed a job from each queue (`services.platform.consumption`), for
    `/api/v1/health`: a queue with ready work and no recent claim has no live consumer."""

    queue = peewee.CharField(max_length=30, primary_key=True)
    last_claim_at = peewee.DateTimeField()
