"""The database handle shared by every model, and the field types they use.

`database` is a peewee `DatabaseProxy`; `init_database(url)` binds it to
SQLite (WAL, foreign keys, busy timeout) or to a pooled PostgreSQL connection.
Times are stored as naive UTC datetimes; JSON as text on both engines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from urllib.parse import urlparse, parse_qs, unquote

import threading
import time

import peewee
from playhouse.pool import PooledPostgresqlDatabase

database = peewee.DatabaseProxy()

POOL_TRUST_SECONDS = 2.0


class RecentlyUsedPool(PooledPostgresqlDatabase):
    """playhouse's PostgreSQL pool without the liveness round trip (`SELECT 1`) for a
    connection that went back to the pool less than `POOL_TRUST_SECONDS` ago.

    playhouse checks every connection it hands out with a round trip, which cost one
    statement (and one transaction in `pg_stat_database`) per request and per job
    message. A connection checked in moments ago, idle and open on our side, is handed
    out as it is; one idle longer is checked as before. If the server went away in
    between, the first query fails: the API answers 503 and a worker's claim is
    redelivered (`workers.redelivery`), and the broken connection is never pooled again
    (`discard_connection`, and the pool's own check-in test).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_in: dict[int, float] = {}
        self._checked_in_lock = threading.Lock()

    def _close(self, conn, close_conn=False):
        super()._close(conn, close_conn)
        with self._checked_in_lock:
            if close_conn or conn.closed:
                self._checked_in.pop(self.conn_key(conn), None)
            else:
                self._checked_in[self.conn_key(conn)] = time.monotonic()

    def _close_raw(self, conn):
        with self._checked_in_lock:
            self._checked_in.pop(self.conn_key(conn), None)
        super()._close_raw(conn)

    def _is_closed(self, conn):
        if conn.closed:
            return True
        with self._checked_in_lock:
            at = self._checked_in.get(self.conn_key(conn))
        if (at is not None and time.monotonic() - at < POOL_TRUST_SECONDS
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str) -> str:
    """A Stripe-style id: `prefix_` plus 22 base62 characters (128 random bits)."""
    n = secrets.randbits(128)
    chars = []
    for _ in range(22):
        n, r = divmod(n, 62)
        chars.append(_ALPHABET[r])
    return f"{prefix}_{''.join(chars)}"


def utcnow() -> dt.datetime:
    """Now, as a naive UTC datetime with microseconds (how every time is stored)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def isoformat(value: dt.datetime | None) -> str | None:
    """`2025-01-15T10:00:00.123Z` for a stored naive-UTC datetime; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class JSONField(peewee.TextField):
    """A JSON document stored as text, so SQLite and PostgreSQL behave alike."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def python_value(self, value):
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return value
        return json.loads(value)


def PrefixedIdField(prefix: str) -> peewee.CharField:  # noqa: N802 (reads like a field class)
    """Primary key field whose default is `new_id(prefix)`."""
    return peewee.CharField(primary_key=True, max_length=40, default=lambda: new_id(prefix))


class BaseModel(peewee.Model):
    """Base of every table: bound to `database`, snake_case table names."""

    class Meta:
        database = database
        legacy_table_names = False


def init_database(url: str, pool_size: int = 20) -> peewee.Database:
    """Bind `database` to `url` (`sqlite:///path` or `postgresql://...`) and return it.

    SQLite runs in WAL mode with a 30 s busy timeout and foreign keys on (one connection
    per use: a pooled SQLite connection can come back with a transaction still open).
    PostgreSQL uses `RecentlyUsedPool` (playhouse's pool) with `pool_size` connections, recycled
    after 300 s.
    Raises ValueError for any other scheme.
    """
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        db = peewee.SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 30000,
                "synchronous": "normal",
                "cache_size": -16000,
            },
            timeout=30,
            check_same_thread=False,
        )
    elif url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        db = RecentlyUsedPool(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=30,
            **options,
        )
    else:
        raise ValueError(f"unsupported DATABASE_URL {url!r}")
    database.initialize(db)
    return db


def is_postgres() -> bool:
    """True when `database` is bound to PostgreSQL."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def close_pool() -> None:
    """Close every pooled PostgreSQL connection of the bound database (tests rebinding, shutdown)."""
    if database.obj is not None and hasattr(database.obj, "close_all"):
        database.obj.close_all()


def discard_connection() -> None:
    """Drop this thread's database connection after an error, without returning it to the pool
    (a connection broken by a PostgreSQL restart would fail again). Never raises; the next
    query opens a fresh connection."""
    try:
        if database.obj is None or database.is_closed():
            return
        if hasattr(database.obj, "manual_close"):
            database.obj.manual_close()
        else:
            database.close()
    except Exception:  # noqa: BLE001 - the connection is gone either way
        try:
            database.obj._state.reset()
        except Exception:  # noqa: BLE001
            pass


def retry_on_fresh_connection(action, seconds: float):
    """Call `action()` until it returns, for at most `seconds`: after each failure the
    connection is discarded (`discard_connection`) and the next try, on a fresh one, waits
    0.1 s doubling to 2 s. Returns what `action` returned; re-raises its last error once
    `seconds` have passed (the caller turns it into its own retry, e.g. a broker redelivery)."""
    deadline = time.monotonic() + seconds
    pause = 0.1
    while True:
        try:
            return action()
        except Exception:
            discard_connection()
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def atomic():
    """A transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE).

    Services use it for every read-then-write so two SQLite writers queue on
    the lock instead of failing on upgrade; on PostgreSQL it is a plain
    `database.atomic()` and row locks do the ordering.
    """
    if is_postgres():
        return database.atomic()
    return database.atomic(lock_type="IMMEDIATE")
