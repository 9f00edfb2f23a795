"""`/api/v1/health/detailed` and `/api/v1/status/dependencies`: every dependency's check, each
ok / degraded / down, the worst as the status, answered 200 to staff whatever is down (issue 8)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest

import config
from models.db import utcnow
from models.jobs import Job
from models.migrate import SchemaMigration, migration_names
from models.ml import ModelVersion
from services.platform import dependencies, jobs
from tests.conftest import free_port
from tests.factories import quick_user, token_for

DETAILED = "/api/v1/health/detailed"
DEPENDENCIES = "/api/v1/status/dependencies"


@pytest.fixture()
def staff(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture()
def with_settings(app, settings):
    """Replace some settings for one test: `with_settings(redis_url=...)`."""
    def override(**changes):
        config.override(dataclasses.replace(settings, **changes))

    yield override
    config.override(settings)


def closed_port_url(scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{free_port()}"  # nothing listens there: connections are refused


def report(api, token, path=DETAILED) -> dict:
    status, body, _ = api.get(path, token=token)
    assert status == 200, body
    return body["data"]


@pytest.mark.parametrize("path", [DETAILED, DEPENDENCIES])
def test_staff_and_admins_read_the_report_customers_get_403_and_guests_401(api, staff, path):
    assert api.get(path, token=staff)[0] == 200
    assert api.get(path, token=token_for(quick_user(role="admin")))[0] == 200
    status, body, _ = api.get(path, token=token_for(quick_user()))
    assert status == 403 and body["error"]["code"] == "AUTHORIZATION_ERROR"
    status, body, _ = api.get(path)
    assert status == 401 and body["error"]["code"] == "AUTHENTICATION_ERROR"


def test_the_detailed_report_checks_every_dependency_and_the_queues(api, staff):
    data = report(api, staff)
    assert set(data) == {"status", "checkedAt", "durationMs", "checks"}
    assert list(data["checks"]) == list(dependencies.CHECKS)
    assert all(check["status"] in ("ok", "degraded", "down") for check in data["checks"].values()), data
    database = data["checks"]["database"]
    assert database["status"] == "ok" and database["latencyMs"] >= 0
    assert database["migrations"] == {"applied": len(migration_names()), "available": len(migration_names()),
                                      "pending": []}
    assert data["checks"]["broker"]["status"] == "ok"
    assert data["checks"]["email"]["provider"] in ("console", "sendgrid")
    assert set(data["checks"]["modelRegistry"]["models"]) >= {"fraud", "recommendations"}
    assert set(data["checks"]["queues"]["queues"]) >= {"checkout", "notifications"}
    assert data["status"] == dependencies.worst(check["status"] for check in data["checks"].values())


def test_the_dependency_status_reports_the_external_services_only(api, staff):
    data = report(api, staff, DEPENDENCIES)
    assert list(data["checks"]) == list(dependencies.DEPENDENCIES)


def test_an_unreachable_redis_is_down_and_the_answer_is_still_200(api, staff, with_settings):
    with_settings(redis_url=closed_port_url("redis") + "/0")
    started = time.monotonic()
    data = report(api, staff)
    redis = data["checks"]["redis"]
    assert redis["status"] == "down" and redis["configured"] is True and "Connection" in redis["error"], redis
    assert data["status"] == "down"
    assert data["checks"]["database"]["status"] == "ok"
    assert time.monotonic() - started < dependencies.TIMEOUT_SECONDS * 2 + 2


def test_an_unreachable_broker_and_stripe_are_down_and_rate_limits_in_memory_are_degraded(api, staff, with_settings):
    with_settings(broker_url=closed_port_url("redis") + "/0", rate_limit_storage_url=closed_port_url("redis"),
                  stripe_secret_key="sk_test_cartwheel", stripe_api_base=closed_port_url("http"))
    checks = report(api, staff, DEPENDENCIES)["checks"]
    assert checks["broker"]["status"] == "down" and checks["broker"]["kind"] == "redis", checks["broker"]
    assert checks["stripe"]["status"] == "down" and checks["stripe"]["configured"] is True, checks["stripe"]
    assert checks["rateLimitStorage"]["status"] == "degraded", checks["rateLimitStorage"]


def test_credentials_in_urls_never_reach_the_report(api, staff, with_settings):
    with_settings(redis_url=f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0")
    redis = report(api, staff)["checks"]["redis"]
    assert redis["status"] == "down" and "hunter2" not in str(redis)


def test_a_stripe_that_answers_is_ok(api, staff, stripe_ready):
    stripe = report(api, staff, DEPENDENCIES)["checks"]["stripe"]
    assert stripe["status"] == "ok" and stripe["configured"] is True and stripe["latencyMs"] >= 0, stripe


def test_a_pending_migration_degrades_the_database(api, staff):
    last = migration_names()[-1]
    row = SchemaMigration.get_by_id(last)
    row.delete_instance()
    try:
        database = report(api, staff)["checks"]["database"]
    finally:
        SchemaMigration.create(name=last, applied_at=row.applied_at)
    assert database["status"] == "degraded" and database["migrations"]["pending"] == [last], database


def test_an_active_model_whose_artifact_is_missing_degrades_the_registry(api, staff, with_settings, tmp_path):
    with_settings(model_dir=str(tmp_path))
    (tmp_path / "fraud").mkdir()
    (tmp_path / "fraud" / "present.skops").write_bytes(b"model")
    version = ModelVersion.create(kind="fraud", version=1, status="active", schema_hash="0" * 64,
                                  artifact_path="fraud/present.skops", artifact_sha256="0" * 64)
    registry = report(api, staff)["checks"]["modelRegistry"]
    assert registry["status"] == "ok" and registry["models"]["fraud"]["version"] == 1, registry
    assert registry["models"]["fraud"]["artifact"] is True and registry["models"]["recommendations"] is None
    ModelVersion.update(artifact_path="fraud/gone.skops").where(ModelVersion.id == version.id).execute()
    registry = report(api, staff)["checks"]["modelRegistry"]
    assert registry["status"] == "degraded" and registry["models"]["fraud"]["artifact"] is False, registry


def test_a_backlogged_queue_and_an_unsent_job_show_in_the_queues_check(api, staff, settings):
    job = jobs.create_job("checkout", {})
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=settings.health_queue_age_seconds + 5)).where(
        Job.id == job.id).execute()
    queues = report(api, staff)["checks"]["queues"]
    assert queues["status"] == "degraded" and queues["queues"]["checkout"]["status"] == "backlogged", queues
    assert queues["outboxLagSeconds"] > settings.health_queue_age_seconds
