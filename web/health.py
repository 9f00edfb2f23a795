"""Health: liveness/readiness for load balancers, and the detailed report for staff.

`GET /api/v1/health` (no authentication): database and broker status, and whether the job
queues are being consumed. 503 when the database or the broker is down. When both are up
but a queue is `backlogged` or has `no_consumer` (`services.platform.consumption`), the
answer is 200 with `"status": "degraded"`: the API itself can serve (a load balancer keeps
it in rotation) while monitoring reads `status` and `jobs.queues`.

`GET /api/v1/health/detailed` (staff, admin): every check of `services.platform.dependencies`
(database with latency and migrations, broker, Redis, rate-limit storage, Stripe, email and
SMS providers, model registry, queues and outbox lag), each `ok`, `degraded` or `down`, and
the worst as `status`. `GET /api/v1/status/dependencies` (staff, admin): the same report
for the external services only. Both answer 200 whatever the checks find (they are reports;
`/health` is what load balancers act on), 401 / 403 in the envelope otherwise.
"""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

import config
from models.db import database, is_postgres
from services.platform import consumption, dependencies
from web.schemas import ok
from web.security import BEARER_SECURITY, require_staff

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Service health and dependency status")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.Dict()
    broker = ma.fields.Dict()
    jobs = ma.fields.Dict(metadata={"description": "`status` (ok, degraded, unknown) and `queues`: per queue "
                                                   "`ready`, `oldestReadySeconds`, `lastClaimSecondsAgo`, `status` "
                                                   "(ok, backlogged, no_consumer)"})


def _database_status() -> dict:
    try:
        database.execute_sql("SELECT 1")
        engine = "PostgresqlDatabase" if is_postgres() else type(database.obj).__name__  # peewee's class names
        return {"status": "ok", "engine": engine}
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        return {"status": "error", "error": type(exc).__name__}


def _broker_status() -> dict:
    import dramatiq

    broker = dramatiq.get_broker()
    kind = type(broker).__name__
    try:
        if hasattr(broker, "client"):  # RedisBroker
            broker.client.ping()
        elif hasattr(broker, "connection"):  # RabbitmqBroker
            broker.connection  # noqa: B018 - opening it is the check
        return {"status": "ok", "kind": kind, "embedded": config.get().embedded}
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "kind": kind, "error": type(exc).__name__}


def _jobs_status() -> dict:
    try:
        queues = consumption.queue_health(config.get().health_queue_age_seconds)
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        return {"status": "unknown", "error": type(exc).__name__, "queues": {}}
    healthy = all(q["status"] == "ok" for q in queues.values())
    return {"status": "ok" if healthy else "degraded", "queues": queues}


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is down")
    def get(self):
        """Report database and broker status, and whether every job queue with work is consumed."""
        db, broker = _database_status(), _broker_status()
        up = db["status"] == "ok" and broker["status"] == "ok"
        job_status = _jobs_status() if db["status"] == "ok" else {"status": "unknown", "queues": {}}
        healthy = up and job_status["status"] == "ok"
        response = jsonify({"status": "ok" if healthy else "degraded", "database": db, "broker": broker,
                            "jobs": job_status})
        response.status_code = 200 if up else 503
        return response


class HealthReportSchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "The worst check: ok, degraded or down"})
    checkedAt = ma.fields.String(metadata={"description": "When the checks ran (ISO 8601, UTC)"})
    durationMs = ma.fields.Float(metadata={"description": "How long the checks took, milliseconds"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict(), metadata={
        "description": "check name -> `{\"status\": \"ok\" | \"degraded\" | \"down\", ...what it measured}`: "
                       "database (latencyMs, engine, migrations applied/available/pending), broker (kind, "
                       "latencyMs), redis, rateLimitStorage, stripe (configured, latencyMs), email and sms "
                       "(provider, delivers), modelRegistry (models: kind -> active version or null), queues "
                       "(outboxLagSeconds, queues as in `/api/v1/health`); a down check has `error`"})


class HealthReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(HealthReportSchema)


@blp.route("/health/detailed")
class HealthDetailed(MethodView):
    @blp.response(200, HealthReportEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Report every dependency (database, broker, Redis, Stripe, providers, models, queues): staff."""
        require_staff()
        return ok(dependencies.report(config.get()))


@blp.route("/status/dependencies")
class DependencyStatus(MethodView):
    @blp.response(200, HealthReportEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Report the external services (database, broker, Redis, rate-limit storage, Stripe, email, SMS): staff."""
        require_staff()
        return ok(dependencies.report(config.get(), dependencies.DEPENDENCIES))
