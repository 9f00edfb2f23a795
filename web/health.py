"""Health: database and broker status."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

import config
from models.db import database

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Service health")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.Dict()
    broker = ma.fields.Dict()


def _database_status() -> dict:
    try:
        database.execute_sql("SELECT 1")
        return {"status": "ok", "engine": type(database.obj).__name__}
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


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is down")
    def get(self):
        """Report database and broker status."""
        db, broker = _database_status(), _broker_status()
        ok = db["status"] == "ok" and broker["status"] == "ok"
        response = jsonify({"status": "ok" if ok else "degraded", "database": db, "broker": broker})
        response.status_code = 200 if ok else 503
        return response
