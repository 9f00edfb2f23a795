"""E2E fixtures: real processes on free loopback ports, real HTTP with `requests`.

- `embedded`: `python -m web.serve` (what `make run` starts) on a SQLite file.
- `production`: gunicorn + `dramatiq workers.app` + `python -m workers.scheduler`
  on PostgreSQL (database `cartwheel_e2e`, dropped and recreated) + Redis
  (db 14) + localstripe with its webhook registered to the server.

Missing PostgreSQL, Redis or localstripe skips the production tests locally and
fails them when CI=true. On a failure the processes' log tails are attached to
the report.
"""

from __future__ import annotations

import os

import pytest

from tests.e2e import stack

IN_CI = os.environ.get("CI", "").lower() == "true"
E2E_DATABASE = os.environ.get("E2E_DATABASE", "cartwheel_e2e")
E2E_REDIS_DB = int(os.environ.get("E2E_REDIS_DB", "14"))


def require(condition: bool, reason: str) -> None:
    """Skip the test when `condition` is false, or fail it under CI=true."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def production(tmp_path_factory):
    """The production shape, started once per session."""
    require(stack.postgres_available(), f"PostgreSQL not reachable at {stack.PG_ADMIN_URL}")
    require(stack.redis_available(), f"Redis not reachable at {stack.REDIS_BASE_URL}")
    require((stack.BIN / "localstripe").exists(), "localstripe is not installed")
    prod = stack.ProductionStack(tmp_path_factory.mktemp("production"), E2E_DATABASE, E2E_REDIS_DB,
                                 stripe=True, web_workers=2, web_threads=8, worker_processes=1, worker_threads=8,
                                 extra_env={"JOB_LEASE_SECONDS": "10", "RELAY_GRACE_SECONDS": "1",
                                            "RELAY_INTERVAL_SECONDS": "1", "ORDER_NUMBER_PREFIX": "SKN"})
    try:
        prod.start()
    except Exception:
        logs = prod.logs()
        prod.stop()
        pytest.fail(f"could not start the production shape:\n{logs}", pytrace=True)
    yield prod
    prod.stop()
    try:
        stack.drop_database(E2E_DATABASE)
    except Exception:  # noqa: BLE001 - best effort
        pass


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """`python -m web.serve` on a fresh SQLite file, started once per module."""
    server = stack.EmbeddedServer(tmp_path_factory.mktemp("embedded"), extra_env={"ORDER_NUMBER_PREFIX": "SKN"})
    try:
        server.start()
    except Exception:
        logs = server.proc.tail(80) if server.proc else ""
        server.stop()
        pytest.fail(f"could not start `python -m web.serve`:\n{logs}", pytrace=True)
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("production", "embedded", "fault_rig"):  # fault_rig: test_faults.py's private stack
            target = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if target is None:
                continue
            if name == "embedded":
                logs = target.proc.tail(80) if target.proc else ""
            else:
                logs = target.logs()
            report.sections.append((f"{name} process logs", logs))
