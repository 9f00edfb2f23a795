"""Dependency checks for the detailed health report (`/api/v1/health/detailed`, staff).

`report(settings)` runs every check and returns
`{"status", "checkedAt", "durationMs", "checks": {name: check}}`; `report(settings,
DEPENDENCIES)` only the external services (`/api/v1/status/dependencies`). Each check
is a dict with `status`: `ok`, `degraded` (works, but not as it should) or `down`, plus
what it measured; the report's status is the worst of its checks. A check never raises:
an error becomes `down` with `error` (the exception's class and message, credentials in
URLs masked). Network checks run in parallel, each with a `TIMEOUT_SECONDS` socket
timeout, so a report takes about that long at worst.

| check | ok | degraded | down |
|---|---|---|---|
| database | `SELECT 1` (`latencyMs`), `migrations` | migrations pending | unreachable |
| broker | Redis PING, RabbitMQ TCP connect; stub: in-process | - | unreachable |
| redis | `REDIS_URL` PING; unset (embedded): `configured: false` | - | unreachable |
| rateLimitStorage | its Redis PING; memory: one process | Redis unreachable (1) | - |
| stripe | not configured, or a balance read answered | - | configured, no answer |
| email, sms | the provider (sendgrid, twilio, console), not called | - | - |
| modelRegistry | active version per kind (null: none trained) | an active artifact missing | unreadable |
| queues | every queue consumed, `outboxLagSeconds` (2) | a queue backlogged or unconsumed | unreadable |

(1) the limits then count in each process's memory; (2) `services.platform.consumption`, and
`services.platform.metrics.outbox_lag_seconds`.

The database-backed checks run on the caller's thread and connection (the database must
be bound); the others open their own short-lived clients.
"""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from urllib.parse import urlparse

import config
from models.db import database, discard_connection, is_postgres, isoformat, utcnow
from models.migrate import SchemaMigration, migration_names
from models.ml import ModelVersion
from services.platform import consumption, metrics, model_registry

STATUSES = ("ok", "degraded", "down")  # best to worst
TIMEOUT_SECONDS = 2.0
MODEL_KINDS = ("fraud", "recommendations")  # reported even before a first training
DEPENDENCIES = ("database", "broker", "redis", "rateLimitStorage", "stripe", "email", "sms")
CHECKS = (*DEPENDENCIES, "modelRegistry", "queues")
_CREDENTIALS = re.compile(r"(//[^/:@\s]*:)[^@\s]*@")


def worst(statuses) -> str:
    """The worst of `statuses` (each one of STATUSES); `ok` for none."""
    return max(statuses, key=STATUSES.index, default="ok")


def _error(exc: BaseException) -> str:
    return _CREDENTIALS.sub(r"\1***@", f"{type(exc).__name__}: {exc}")[:300]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _down(exc: BaseException, **fields) -> dict:
    return {"status": "down", **fields, "error": _error(exc)}


def _ping_redis(url: str) -> dict:
    """PING the Redis at `url`: `{"status": "ok", "latencyMs"}`. Raises the client's error."""
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return {"status": "ok", "latencyMs": _ms(started)}


# --------------------------------------------------------------------------- checks


def check_database() -> dict:
    """`{"status", "engine", "latencyMs", "migrations": {"applied", "available", "pending": [names]}}`:
    down when `SELECT 1` fails, degraded when migrations are pending."""
    started = time.perf_counter()
    engine = "PostgreSQL" if is_postgres() else "SQLite"
    try:
        database.execute_sql("SELECT 1")
        latency = _ms(started)
        available = migration_names()
        applied = {row.name for row in SchemaMigration.select(SchemaMigration.name)}
    except Exception as exc:  # noqa: BLE001 - a report, never an error
        discard_connection()
        return _down(exc, engine=engine)
    pending = [name for name in available if name not in applied]
    return {"status": "degraded" if pending else "ok", "engine": engine, "latencyMs": latency,
            "migrations": {"applied": len(applied), "available": len(available), "pending": pending}}


def check_broker(url: str) -> dict:
    """The message broker of `url` (BROKER_URL): `{"status", "kind", "latencyMs"}`; Redis is
    PINGed, RabbitMQ gets a TCP connect, the stub broker is in-process (ok)."""
    if url.startswith("stub://"):
        return {"status": "ok", "kind": "stub", "note": "in-process (embedded)"}
    kind = "redis" if url.startswith(("redis://", "rediss://")) else "rabbitmq"
    try:
        if kind == "redis":
            return {**_ping_redis(url), "kind": kind}
        parsed = urlparse(url)
        started = time.perf_counter()
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5672),
                                      timeout=TIMEOUT_SECONDS):
            pass
        return {"status": "ok", "kind": kind, "latencyMs": _ms(started), "note": "TCP connect only"}
    except Exception as exc:  # noqa: BLE001
        return _down(exc, kind=kind)


def check_redis(url: str) -> dict:
    """REDIS_URL (cache, live updates, locks): `{"status", "configured", "latencyMs"}`; unset is ok
    (embedded mode uses in-process fallbacks)."""
    if not url:
        return {"status": "ok", "configured": False, "note": "not set: in-process fallbacks (embedded)"}
    try:
        return {**_ping_redis(url), "configured": True}
    except Exception as exc:  # noqa: BLE001
        return _down(exc, configured=True)


def check_rate_limit_storage(url: str, enabled: bool) -> dict:
    """The rate limits' storage: `{"status", "kind", "enabled"}`; an unreachable Redis is degraded
    (flask-limiter then counts in each process's memory)."""
    if not url.startswith(("redis://", "rediss://")):
        return {"status": "ok", "kind": "memory", "enabled": enabled, "note": "one process's memory"}
    try:
        return {**_ping_redis(url), "kind": "redis", "enabled": enabled}
    except Exception as exc:  # noqa: BLE001
        return {**_down(exc, kind="redis", enabled=enabled), "status": "degraded",
                "note": "limits count in each process's memory until Redis answers"}


def check_stripe(settings: config.Settings) -> dict:
    """`{"status", "configured", "apiBase"?, "latencyMs"?}`: when STRIPE_SECRET_KEY is set, one
    balance read (the cheapest authenticated call) with a TIMEOUT_SECONDS timeout and no retry."""
    if not settings.stripe_secret_key:
        return {"status": "ok", "configured": False, "note": "card payments off; cash on delivery only"}
    import stripe

    fields = {"configured": True, "mode": "test" if settings.stripe_secret_key.startswith(("sk_test", "rk_test"))
              else "live"}
    if settings.stripe_api_base:
        fields["apiBase"] = settings.stripe_api_base
    started = time.perf_counter()
    try:
        client = stripe.StripeClient(
            settings.stripe_secret_key, max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None)
        client.v1.balance.retrieve()
    except Exception as exc:  # noqa: BLE001 - unreachable, refused key, 5xx: all "down" here
        return _down(exc, **fields)
    return {"status": "ok", **fields, "latencyMs": _ms(started)}


def check_provider(channel: str, settings: config.Settings) -> dict:
    """The configured provider of `channel` (email, sms): `{"status": "ok", "provider", "delivers"}`;
    the console provider only stores and logs messages. No call is made."""
    provider = settings.email_provider if channel == "email" else settings.sms_provider
    real = provider in ("sendgrid", "twilio")
    check = {"status": "ok", "provider": provider, "delivers": real}
    if not real:
        check["note"] = "console: messages are logged, not delivered"
    return check


def check_model_registry() -> dict:
    """`{"status", "models": {kind: {"id", "version", "activatedAt", "artifact": bool} | None}}`
    for each kind in MODEL_KINDS and any other kind registered; degraded when an active
    version's artifact file is missing, down when the registry cannot be read."""
    try:
        kinds = set(MODEL_KINDS) | {row.kind for row in ModelVersion.select(ModelVersion.kind).distinct()}
        models, missing = {}, False
        for kind in sorted(kinds):
            version = model_registry.active(kind)
            if version is None:
                models[kind] = None
                continue
            present = Path(model_registry.artifact_file(version)).is_file()
            missing = missing or not present
            models[kind] = {"id": version.id, "version": version.version,
                            "activatedAt": isoformat(version.activated_at), "artifact": present}
    except Exception as exc:  # noqa: BLE001
        discard_connection()
        return _down(exc)
    return {"status": "degraded" if missing else "ok", "models": models}


def check_queues(max_age_seconds: float) -> dict:
    """`{"status", "outboxLagSeconds", "queues": consumption.queue_health(...)}`: degraded when a
    queue is backlogged or has no consumer (as `/api/v1/health`)."""
    try:
        queues = consumption.queue_health(max_age_seconds)
        lag = metrics.outbox_lag_seconds()
    except Exception as exc:  # noqa: BLE001
        discard_connection()
        return _down(exc)
    ok = all(queue["status"] == "ok" for queue in queues.values())
    return {"status": "ok" if ok else "degraded", "outboxLagSeconds": lag, "queues": queues}


# --------------------------------------------------------------------------- the report


def _network_checks(settings: config.Settings) -> dict:
    return {
        "broker": lambda: check_broker(settings.broker_url),
        "redis": lambda: check_redis(settings.redis_url),
        "rateLimitStorage": lambda: check_rate_limit_storage(settings.rate_limit_storage_url,
                                                             settings.rate_limits_enabled),
        "stripe": lambda: check_stripe(settings),
    }


def _local_checks(settings: config.Settings) -> dict:
    return {
        "database": check_database,
        "email": lambda: check_provider("email", settings),
        "sms": lambda: check_provider("sms", settings),
        "modelRegistry": check_model_registry,
        "queues": lambda: check_queues(settings.health_queue_age_seconds),
    }


def _safely(check) -> dict:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a check's own bug still gives a report
        return _down(exc)


def report(settings: config.Settings | None = None, names: tuple = CHECKS) -> dict:
    """Run the checks in `names` (default all, in CHECKS order) and return
    `{"status": worst, "checkedAt": ISO time, "durationMs", "checks": {name: check}}`. Never raises."""
    settings = settings or config.get()
    started = time.perf_counter()
    network = {name: check for name, check in _network_checks(settings).items() if name in names}
    local = {name: check for name, check in _local_checks(settings).items() if name in names}
    results: dict[str, dict] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(network)), thread_name_prefix="health-check")
    try:
        futures = {name: pool.submit(_safely, check) for name, check in network.items()}
        for name, check in local.items():
            results[name] = _safely(check)
        deadline = time.monotonic() + TIMEOUT_SECONDS * 2
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                results[name] = {"status": "down", "error": f"no answer within {TIMEOUT_SECONDS * 2:.0f} s"}
    finally:
        pool.shutdown(wait=False)
    checks = {name: results[name] for name in names if name in results}
    return {"status": worst(check["status"] for check in checks.values()), "checkedAt": isoformat(utcnow()),
            "durationMs": _ms(started), "checks": checks}
