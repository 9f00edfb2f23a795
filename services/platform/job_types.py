"""Every job type, declared once: its queue, attempt limit, time limit and lease.

The declaration is the only place these numbers live. `services.platform.jobs`
reads `max_attempts` when it writes a job, the recovery pass reads `lease`
when it decides a running job's worker is gone, and `workers.actor.job_actor`
builds each Dramatiq actor from `queue` and `time_limit` (`max_retries=0`:
attempts are counted and retried by the job platform, in the database, never
by the broker).

Leases. A running job holds a lease renewed by heartbeats: every
`ctx.progress()` call, and the runner's keep-alive thread (`heartbeat.py`),
which renews the lease of every job still running after a third of it, so a
model fit that takes longer than its lease is never re-queued while it runs.
A job whose heartbeat is older than its lease is re-queued (its worker died).
Most types keep the 10 s default, so a killed worker's jobs run again within
seconds; the keep-alive makes a short lease cost nothing for short jobs.
`JOB_LEASE_SECONDS`, when set, caps every lease (tests use 5 s to recover
fast); otherwise each type's declared lease applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import config

DEFAULT_LEASE_SECONDS = 10
QUEUES = ("checkout", "payments", "fraud", "notifications", "ml", "bulk", "maintenance")


@dataclass(frozen=True)
class JobType:
    """How jobs of one type run.

    `queue`: the Dramatiq queue (one of QUEUES); `max_attempts`: claims before
    a transient failure fails the job for good; `time_limit`: seconds one
    attempt may run before Dramatiq interrupts it; `lease`: seconds without a
    heartbeat after which a running job counts as abandoned (at most
    `time_limit`, so an attempt that hits its time limit is already failed or
    re-queued by its own worker); `batch`: how many queued jobs of the type one
    worker claims and runs together (`workers.runner.run_batch`, for handlers that
    share work across jobs, e.g. one model call; 1 runs each job alone).
    """

    queue: str
    max_attempts: int
    time_limit: int
    lease: int = DEFAULT_LEASE_SECONDS
    batch: int = 1

    def __post_init__(self):
        if self.queue not in QUEUES:
            raise ValueError(f"unknown queue {self.queue!r}")
        if not 0 < self.lease <= self.time_limit:
            raise ValueError("a lease must be positive and at most the time limit")
        if self.batch < 1:
            raise ValueError("a batch holds at least one job")

    @property
    def time_limit_ms(self) -> int:
        """The Dramatiq `time_limit` option (milliseconds)."""
        return self.time_limit * 1000


JOB_TYPES: dict[str, JobType] = {
    "checkout": JobType("checkout", max_attempts=5, time_limit=60),
    "payment": JobType("payments", max_attempts=5, time_limit=60),
    "stripe_event": JobType("payments", max_attempts=8, time_limit=60),
    "payment_refund": JobType("payments", max_attempts=8, time_limit=60),
    "payment_intent": JobType("payments", max_attempts=5, time_limit=60),
    "payment_setup": JobType("payments", max_attempts=5, time_limit=60),
    "payment_method_save": JobType("payments", max_attempts=5, time_limit=60),
    "payment_method_detach": JobType("payments", max_attempts=8, time_limit=60),
    "wallet_payout": JobType("payments", max_attempts=8, time_limit=60),  # an approved withdrawal through its provider
    "earn_reward": JobType("payments", max_attempts=8, time_limit=60),  # an approved earn submission into the wallet
    "cashback": JobType("payments", max_attempts=8, time_limit=60),  # a delivered partner order's cashback, reversals
    "product_import": JobType("bulk", max_attempts=3, time_limit=600),
    "fraud_score": JobType("fraud", max_attempts=5, time_limit=60, batch=16),  # one model call per batch
    "fraud_train": JobType("ml", max_attempts=2, time_limit=3600, lease=120),
    "event_fanout": JobType("notifications", max_attempts=5, time_limit=120),
    "notification_send": JobType("notifications", max_attempts=5, time_limit=300),  # up to 25 sends
    "notification_bulk": JobType("notifications", max_attempts=3, time_limit=1800),
    "recommendations_train": JobType("ml", max_attempts=2, time_limit=3600, lease=120),
    "wishlist_bulk": JobType("bulk", max_attempts=3, time_limit=600),
    "account_export": JobType("bulk", max_attempts=3, time_limit=300),
    "inventory_report": JobType("bulk", max_attempts=3, time_limit=600),
    "account_erasure": JobType("bulk", max_attempts=8, time_limit=300),  # retried while the user's jobs finish
    "maintenance": JobType("maintenance", max_attempts=3, time_limit=600),
    "sitemap_build": JobType("maintenance", max_attempts=3, time_limit=600),
    "video_counters_flush": JobType("maintenance", max_attempts=5, time_limit=120),  # services.content
    "purchase_reorder": JobType("bulk", max_attempts=5, time_limit=60),
    "analytics_rollup": JobType("bulk", max_attempts=3, time_limit=1800),  # up to 366 days, progress per day
    "probe": JobType("maintenance", max_attempts=3, time_limit=10, lease=10),
}


def job_type(name: str) -> JobType:
    """The declaration of job type `name`. Raises KeyError for an unknown type."""
    return JOB_TYPES[name]


def lease_seconds(name: str) -> int:
    """The effective lease of job type `name` in seconds: its declared lease, capped by
    `JOB_LEASE_SECONDS` when that is set. Unknown types get DEFAULT_LEASE_SECONDS."""
    spec = JOB_TYPES.get(name)
    declared = spec.lease if spec is not None else DEFAULT_LEASE_SECONDS
    cap = config.get().job_lease_seconds
    return min(declared, cap) if cap else declared
