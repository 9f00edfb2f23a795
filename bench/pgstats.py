"""Database work per operation, from PostgreSQL's `pg_stat_database` counters.

Counters (`COUNTERS`, cumulative for one database): `xacts` (`xact_commit +
xact_rollback`), `tup_returned`, `tup_fetched`, `tup_inserted`, `tup_updated`,
`tup_deleted` (rows). They are read from another database's connection (the admin URL),
so reading them adds nothing to the bench database's own figures.

When the figures appear (measured on PostgreSQL 15.20, 2026-12): a backend flushes its
pending counters at the end of a transaction at most once a second, and a backend that
then goes idle flushes the rest only after `PGSTAT_IDLE_INTERVAL`, 10 s (200 inserts
followed by idleness appeared 9.96 s later). So a reading is taken only after every
backend has been idle for `FLUSH_SECONDS` (`PgMeter.read_settled`); readings in the same
transaction would be cached (`stats_fetch_consistency = cache`), hence
`pg_stat_clear_snapshot()` before each. Busy backends (the scheduler's relay, every 2 s)
flush as they go: their work between two readings is counted, as background.
"""

from __future__ import annotations

import time

COUNTERS = ("xacts", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")
FLUSH_SECONDS = 10.5  # PGSTAT_IDLE_INTERVAL (10 s) plus a margin
SQL = ("SELECT xact_commit + xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted "
       "FROM pg_stat_database WHERE datname = %s")


def read_counters(admin_url: str, database: str) -> dict[str, int]:
    """The current `COUNTERS` of `database` (a fresh snapshot), over a connection to `admin_url`."""
    import psycopg2

    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute(SQL, (database,))
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        raise RuntimeError(f"no pg_stat_database row for {database}")
    return dict(zip(COUNTERS, (int(v) for v in row)))


def postmaster_pid(admin_url: str) -> int | None:
    """The pid of the postmaster serving `admin_url` (the parent of this connection's
    backend, read from /proc), or None when that server is not on this machine."""
    import psycopg2

    conn = psycopg2.connect(admin_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = int(cur.fetchone()[0])
        stat = open(f"/proc/{backend}/stat").read()
        return int(stat[stat.rindex(")") + 2:].split()[1])
    except OSError:
        return None
    finally:
        conn.close()


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """`after - before` for every counter."""
    return {name: after[name] - before[name] for name in COUNTERS}


def per_operation(counts: dict[str, int], operations: int) -> dict[str, float | None]:
    """Each counter divided by `operations` (rounded to 0.1); all None when it is 0."""
    if operations <= 0:
        return {name: None for name in COUNTERS}
    return {name: round(counts[name] / operations, 1) for name in COUNTERS}


class PgMeter:
    """Settled readings of one database's counters.

    Call `touched()` when the bench database was last used (e.g. when the work of a
    scenario ended); `read_settled()` sleeps until `flush_seconds` have passed since then
    and reads the counters. Two settled readings with no use of the database in between
    other than background work are the same state, so consecutive measured scenarios can
    share one (`read_settled` returns at once the second time)."""

    def __init__(self, admin_url: str, database: str, flush_seconds: float = FLUSH_SECONDS,
                 clock=time.monotonic, sleep=time.sleep):
        self.admin_url, self.database, self.flush_seconds = admin_url, database, flush_seconds
        self.clock, self.sleep = clock, sleep
        self.last_use = clock()

    def touched(self) -> None:
        self.last_use = self.clock()

    def read_settled(self) -> dict[str, int]:
        remaining = self.last_use + self.flush_seconds - self.clock()
        if remaining > 0:
            self.sleep(remaining)
        return read_counters(self.admin_url, self.database)


def vacuum_analyze(database_url: str) -> float:
    """`VACUUM ANALYZE` the whole database at `database_url`: the statistics (and visibility map)
    autovacuum keeps on a live shop's tables. A database seeded moments ago has none, and the
    planner then estimates from defaults: measured 2026-12-04 on the bench's shop, the cart-lines
    read walked every variant with an index probe of `cart_item` each (100 probes per read)
    instead of reading the cart's lines by `cart_id`. Returns the seconds it took."""
    import psycopg2

    started = time.monotonic()
    conn = psycopg2.connect(database_url)
    conn.autocommit = True  # VACUUM cannot run inside a transaction
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()
    return round(time.monotonic() - started, 1)
