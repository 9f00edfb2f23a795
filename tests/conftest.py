"""Shared fixtures.

Backends: SQLite file per test + StubBroker with an in-process Worker by
default; with `TEST_DATABASE_URL` (PostgreSQL) and `TEST_BROKER_URL` (Redis)
the same tests run on PostgreSQL with a real `dramatiq` worker process.
localstripe is started once per session on a free loopback port when the
package is installed; Stripe tests skip without it (and fail under CI=true).

Under pytest-xdist (`make test` / `make test-pg` run `-n 2`; PYTEST_XDIST_WORKER is gw0, gw1)
each worker process is a session of its own: its own
PostgreSQL database (`test` -> `test_gw0`, `test_gw1`, created when missing), its own Redis
database for the broker and everything that falls back to it (catalog cache, live updates;
see `WORKER_REDIS_DBS`), its own `dramatiq` worker process given those two URLs, its own
localstripe, and its own MODEL_DIR / MEDIA_DIR / ACCOUNT_EXPORT_DIR under its temporary
directory. TEST_DATABASE_URL and TEST_BROKER_URL in this module and in `os.environ` are the
worker's, so helpers and subprocesses that read them get the worker's resources too.
Still shared: Redis pub/sub channels (server-wide, whatever the database: a test on a fixed
channel such as `cartwheel:orders` can see the other worker's messages) and Redis db 14 (the
rate-limit and login-backoff tests' counters, under random keys).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
WEBHOOK_SECRET = "whsec_cartwheel_test_secret"

# pytest-xdist: "gw0", "gw1", ... in a worker process; empty in a plain (serial) run.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Redis database of each xdist worker (gw0 first). Not 14: the rate-limit and login-backoff tests
# keep their counters there from every worker at once (random keys), and it must never be
# flushed under them (a worker's broker database is flushed at its start); not 9, 11, 12, 13
# (other tools, e.g. `make bench` uses 13). More workers than entries fail at start.
WORKER_REDIS_DBS = (15, 10)


def _worker_index() -> int | None:
    if not XDIST_WORKER:
        return None
    match = re.fullmatch(r"gw(\d+)", XDIST_WORKER)
    if match is None:
        raise pytest.UsageError(f"unexpected PYTEST_XDIST_WORKER={XDIST_WORKER!r} (want gw0, gw1, ...)")
    return int(match.group(1))


def _worker_database_url(url: str) -> str:
    """`.../test` -> `.../test_gw0` under xdist worker gw0; unchanged in a serial run."""
    if _worker_index() is None or not url.startswith(("postgres://", "postgresql://")):
        return url
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "test"
    return urlunsplit(parts._replace(path=f"/{name}_{XDIST_WORKER}"))


def _worker_broker_url(url: str) -> str:
    """The Redis URL with this xdist worker's database number (WORKER_REDIS_DBS); unchanged in
    a serial run. Fails when there are more workers than databases set aside for them."""
    index = _worker_index()
    if index is None or not url.startswith(("redis://", "rediss://")):
        return url
    if index >= len(WORKER_REDIS_DBS):
        raise pytest.UsageError(
            f"tests/conftest.py: xdist worker {XDIST_WORKER} has no Redis database of its own: the "
            f"PostgreSQL + Redis pass supports at most {len(WORKER_REDIS_DBS)} workers "
            f"(WORKER_REDIS_DBS = {WORKER_REDIS_DBS}); run with -n {len(WORKER_REDIS_DBS)} or fewer")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{WORKER_REDIS_DBS[index]}"))


TEST_DATABASE_URL = _worker_database_url(os.environ.get("TEST_DATABASE_URL", ""))
TEST_BROKER_URL = _worker_broker_url(os.environ.get("TEST_BROKER_URL", ""))
if XDIST_WORKER:  # helpers (tests.factories.redis) and subprocesses read these from the environment
    for _name, _value in (("TEST_DATABASE_URL", TEST_DATABASE_URL), ("TEST_BROKER_URL", TEST_BROKER_URL)):
        if _value:
            os.environ[_name] = _value


def _ensure_database(url: str) -> None:
    """Create the database of `url` (through the server's `postgres` database) when missing."""
    import psycopg2
    from psycopg2 import errors, sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for attempt in range(10):
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone():
                    return
                try:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    return
                except errors.DuplicateDatabase:
                    return
                except errors.ObjectInUse:  # "source database template1 is being accessed by other users"
                    if attempt == 9:
                        raise
                    time.sleep(0.5)
    finally:
        admin.close()


def pytest_configure(config):
    """In the xdist controller: refuse more workers than Redis databases set aside for them (the
    workers' own check would only crash them one by one)."""
    workers = getattr(config.option, "numprocesses", None)
    if not XDIST_WORKER and isinstance(workers, int) and workers > len(WORKER_REDIS_DBS) \
            and TEST_BROKER_URL.startswith(("redis://", "rediss://")):
        raise pytest.UsageError(
            f"-n {workers}: the PostgreSQL + Redis pass supports at most {len(WORKER_REDIS_DBS)} xdist workers "
            f"(one Redis database each, WORKER_REDIS_DBS = {WORKER_REDIS_DBS} in tests/conftest.py)")


def pytest_sessionstart(session):
    """An xdist worker's own PostgreSQL database exists before any test (tests/models/test_pool.py
    connects without the `backend` fixture)."""
    if XDIST_WORKER and TEST_DATABASE_URL.startswith(("postgres://", "postgresql://")):
        _ensure_database(TEST_DATABASE_URL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="session")
def localstripe():
    """Base URL of a localstripe server for this session (None when unavailable)."""
    exe = Path(sys.executable).parent / "localstripe"
    if not exe.exists():
        if IN_CI:
            pytest.fail("localstripe is not installed")
        return None
    port = free_port()
    proc = subprocess.Popen([str(exe), "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _env(database_url: str, broker_url: str, stripe_base: str | None, var_dir: Path) -> dict:
    env = {
        "CARTWHEEL_ENV": "test",
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "SECRET_KEY": "test-secret-key-0123456789-0123456789-abcdef",
        "CURRENCY": "USD",
        "TAX_RATE": "0.08",
        "ORDER_NUMBER_PREFIX": "SKN",
        "RELAY_GRACE_SECONDS": "1",
        "JOB_LEASE_SECONDS": "5",
        "WORKER_THREADS": "4",
        "DB_POOL_SIZE": "40",
        "CATALOG_CACHE_SECONDS": "0",
        "RATE_LIMITS_ENABLED": "false",  # the rate-limit tests turn them on (tests/api/test_rate_limits.py)
        # Files of this session (one per xdist worker), not the repository's var/.
        "MODEL_DIR": str(var_dir / "models"),
        "MEDIA_DIR": str(var_dir / "media"),
        "ACCOUNT_EXPORT_DIR": str(var_dir / "exports"),
    }
    if stripe_base:
        env.update({"STRIPE_SECRET_KEY": "sk_test_cartwheel", "STRIPE_API_BASE": stripe_base,
                    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET})
    return env


@pytest.fixture(scope="session")
def backend(localstripe, tmp_path_factory):
    """Session-wide backend description: `{"postgres": bool, "env": {...}, "worker": ...}`.

    On PostgreSQL + Redis a `dramatiq workers.app` process serves the session.
    """
    postgres = TEST_DATABASE_URL.startswith(("postgres://", "postgresql://"))
    broker_url = TEST_BROKER_URL or "stub://"
    info = {"postgres": postgres, "broker_url": broker_url, "stripe": localstripe, "process": None,
            "var_dir": tmp_path_factory.mktemp("var")}
    if postgres:
        env = _env(TEST_DATABASE_URL, broker_url, localstripe, info["var_dir"])
        from models.db import database, init_database

        init_database(TEST_DATABASE_URL)
        with database.connection_context():
            database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            from models.migrate import apply_migrations

            apply_migrations()
        if broker_url.startswith("redis"):
            import redis

            redis.Redis.from_url(broker_url).flushdb()
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "dramatiq"), "workers.app", "--processes", "1",
                 "--threads", "8", "--watch-use-polling" if False else "--verbose"],
                cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL if not os.environ.get("WORKER_LOG")
                else None, stderr=subprocess.STDOUT)
            info["process"] = proc
    yield info
    if info["process"] is not None:
        info["process"].terminate()
        try:
            info["process"].wait(timeout=15)
        except subprocess.TimeoutExpired:
            info["process"].kill()


@pytest.fixture()
def settings(backend, tmp_path):
    """Settings for one test: a fresh SQLite file, or the session's truncated PostgreSQL database."""
    if backend["postgres"]:
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    s = config.load(_env(url, backend["broker_url"], backend["stripe"], backend["var_dir"]))
    config.override(s)
    return s


def _truncate_all():
    import peewee

    from models import ALL_MODELS
    from models.db import database

    tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
    for attempt in range(10):  # the worker process may still hold locks from the last test's jobs
        try:
            database.execute_sql(f"TRUNCATE {tables} CASCADE")
            return
        except peewee.OperationalError:
            if attempt == 9:
                raise
            time.sleep(0.2)


@pytest.fixture()
def db(settings, backend):
    """A migrated, empty database bound for this test."""
    from models.db import close_pool, database, init_database
    from models.migrate import apply_migrations

    init_database(settings.database_url, settings.db_pool_size)
    database.connect(reuse_if_open=True)
    if backend["postgres"]:
        _truncate_all()
    else:
        apply_migrations()
    yield database
    if not database.is_closed():
        database.close()
    if backend["postgres"]:
        close_pool()


@pytest.fixture(scope="session")
def _stub_worker(backend):
    """One in-process Dramatiq Worker for the whole session (stub broker only)."""
    if backend["broker_url"] != "stub://":
        yield None
        return
    import dramatiq

    from workers.bootstrap import bootstrap

    broker = bootstrap(config.get())
    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture()
def app(settings, db, _stub_worker):
    """The Flask app bound to this test's database, with workers running."""
    from web import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    import dramatiq

    broker = dramatiq.get_broker()
    if hasattr(broker, "flush_all") and backend_is_stub(settings):
        broker.flush_all()
        _drain(_stub_worker)


def _drain(worker, timeout: float = 15.0) -> None:
    """Wait until the in-process worker holds no message of this test (queued, prefetched or
    running), so none of them runs against the next test's database."""
    deadline = time.monotonic() + timeout
    while worker is not None and time.monotonic() < deadline:
        if not worker.work_queue.unfinished_tasks:
            return
        time.sleep(0.02)


def backend_is_stub(settings) -> bool:
    return settings.broker_url.startswith("stub://")


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def api(client):
    """A small JSON client: `api.post(path, json, token=...)` -> (status, body, headers)."""
    from tests.factories import ApiClient

    return ApiClient(client)


@pytest.fixture()
def admin_token(db):
    """An access token of a new admin."""
    from tests.factories import make_user, token_for

    return token_for(make_user(role="admin"))


@pytest.fixture()
def stripe_ready(settings):
    """Settings with Stripe pointed at the session's localstripe (skips without it)."""
    import stripe

    if not settings.stripe_enabled:
        pytest.skip("localstripe not available")
    stripe.api_key = settings.stripe_secret_key
    stripe.api_base = settings.stripe_api_base
    return settings
