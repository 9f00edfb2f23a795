"""Health: database and broker status, and whether the job queues are being consumed.

503 when the database or the broker is down. When both are up but a queue is
`backlogged` or has `no_consumer` (`services.platform.consumption`), the answer is
200 with `"status": "degraded"`: the API itself can serve (a load balancer keeps
it in rotation) while monitoring reads `status` and `jobs.queues`.
"""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

import config
from models.db import database, is_postgres
from services.platform import consumption

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Service health")


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
    ok = all(q["status"] == "ok" for q in queues.values())
    return {"status": "ok" if ok else "degraded", "queues": queues}


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is down")
    def get(self):
        """Report database and broker status, and whether every job queue with work is consumed."""
        db, broker = _database_status(), _broker_status()
        up = db["status"] == "ok" and broker["status"] == "ok"
        job_status = _jobs_status() if db["status"] == "ok" else {"status": "unknown", "queues": {}}
        ok = up and job_status["status"] == "ok"
        response = jsonify({"status": "ok" if ok else "degraded", "database": db, "broker": broker,
                            "jobs": job_status})
        response.status_code = 200 if up else 503
        return response
