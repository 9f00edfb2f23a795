"""Shared fixtures.

Backends: SQLite file per test + StubBroker with an in-process Worker by
default; with `TEST_DATABASE_URL` (PostgreSQL) and `TEST_BROKER_URL` (Redis)
the same tests run on PostgreSQL with a real `dramatiq` worker process.
localstripe is started once per session on a free loopback port when the
package is installed; Stripe tests skip without it (and fail under CI=true).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_BROKER_URL = os.environ.get("TEST_BROKER_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
WEBHOOK_SECRET = "whsec_cartwheel_test_secret"


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


def _env(database_url: str, broker_url: str, stripe_base: str | None) -> dict:
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
    info = {"postgres": postgres, "broker_url": broker_url, "stripe": localstripe, "process": None}
    if postgres:
        env = _env(TEST_DATABASE_URL, broker_url, localstripe)
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
    s = config.load(_env(url, backend["broker_url"], backend["stripe"]))
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
