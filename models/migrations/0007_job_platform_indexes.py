"""The job platform's indexes, leaner (issue 7), and the queue consumption beacons.

Drops the single-column indexes on `job.type`, `job.state`, `job.dispatched_at`
and the `(state, updated_at)` index of 0002: every job write maintained them,
and the relay still had to filter most rows. Creates partial indexes that hold
only the rows the platform's reads look for (PostgreSQL and SQLite both
support `CREATE INDEX ... WHERE`):

- `job_queued_dispatch (dispatched_at) WHERE state = 'queued'`: the relay's
  unsent and stale messages, and queue health;
- `job_unfinished (type, updated_at) WHERE state IN ('queued', 'running',
  'cancel_requested')`: lease reclaim and "is the periodic task's job unfinished";
- `job_finished (finished_at) WHERE state IN ('succeeded', 'cancelled')`: retention.

Creates the `queueconsumption` table (one row per queue: when a worker last claimed from it).
"""

from models.jobs import QueueConsumption

DROPPED = ("job_type", "job_state", "job_dispatched_at", "job_state_updated_at")
CREATED = (
    "CREATE INDEX IF NOT EXISTS job_queued_dispatch ON job (dispatched_at) WHERE state = 'queued'",
    "CREATE INDEX IF NOT EXISTS job_unfinished ON job (type, updated_at) "
    "WHERE state IN ('queued', 'running', 'cancel_requested')",
    "CREATE INDEX IF NOT EXISTS job_finished ON job (finished_at) WHERE state IN ('succeeded', 'cancelled')",
)


def migrate(database, migrator):
    for name in DROPPED:
        database.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for statement in CREATED:
        database.execute_sql(statement)
    database.create_tables([QueueConsumption], safe=True)
