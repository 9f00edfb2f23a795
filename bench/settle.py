"""Waiting until the stack has finished the work a scenario caused.

A checkout's job creates more jobs (fraud scoring, event fan-out, notifications) that run
after the order's job succeeded; their CPU belongs to the scenario. The stack is quiet
when no Dramatiq message is pending or being processed (the broker's `<queue>.msgs`
hashes, delay queues included, dead letters `.XQ` excluded, are empty: messages leave
them when acknowledged) and no job row is unfinished (`queued`, `running`,
`cancel_requested`). Redis is polled first; the database is asked once Redis looks quiet
(a short-lived connection, so its statistics are flushed when it closes).
"""

from __future__ import annotations

import time

NAMESPACE = "dramatiq"
UNFINISHED_SQL = "SELECT count(*) FROM job WHERE state NOT IN ('succeeded', 'failed', 'cancelled')"


def pending_messages(redis_client) -> int:
    """Messages enqueued, delayed or in progress in every Dramatiq queue of this Redis db."""
    total = 0
    for key in redis_client.scan_iter(match=f"{NAMESPACE}:*.msgs", count=1000):
        name = key.decode() if isinstance(key, bytes) else key
        if not name.endswith(".XQ.msgs"):
            total += redis_client.hlen(key)
    return total


def unfinished_jobs(database_url: str) -> int:
    """Job rows not in a terminal state."""
    import psycopg2

    conn = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(UNFINISHED_SQL)
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def succeeded_since(database_url: str, job_type: str, since_utc) -> int:
    """Jobs of `job_type` created at or after `since_utc` (a naive UTC datetime, as the job
    table stores them) that succeeded: e.g. the orders a scenario placed, including those of
    operations the load generator gave up on."""
    import psycopg2

    conn = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM job WHERE type = %s AND state = 'succeeded' AND created_at >= %s",
                        (job_type, since_utc))
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def wait_quiet(redis_url: str, database_url: str, timeout: float = 60.0, interval: float = 0.05) -> dict:
    """Wait until the stack is quiet (see the module docstring), at most `timeout` seconds.
    Returns `{"quiet": bool, "seconds": waited, "pendingMessages", "unfinishedJobs"}`."""
    import redis

    client = redis.Redis.from_url(redis_url)
    started = time.monotonic()
    messages = jobs = -1
    try:
        while True:
            messages = pending_messages(client)
            if messages == 0:
                jobs = unfinished_jobs(database_url)
                if jobs == 0:
                    return {"quiet": True, "seconds": round(time.monotonic() - started, 2),
                            "pendingMessages": 0, "unfinishedJobs": 0}
            if time.monotonic() - started > timeout:
                return {"quiet": False, "seconds": round(time.monotonic() - started, 2),
                        "pendingMessages": messages, "unfinishedJobs": jobs}
            time.sleep(interval if messages else max(interval, 0.2))
    finally:
        client.close()
