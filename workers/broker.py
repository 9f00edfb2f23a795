"""Builds the Dramatiq broker named by `BROKER_URL` and installs it globally."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.stub import StubBroker

from models.db import database, discard_connection
from workers.redelivery import PlatformUnavailable

log = logging.getLogger(__name__)

# Dramatiq's Redis broker gives the unacked messages of a worker whose heartbeat is older than
# this back to its queue, during a "maintenance" run that happens on a random share of commands
# (per million). Its defaults (60 s, 1,000) left a killed process's messages away for 115-135 s;
# these bring them back in about 15-20 s (the relay's dispatch lease usually does it sooner).
REDIS_HEARTBEAT_TIMEOUT_MS = 15_000
REDIS_MAINTENANCE_CHANCE = 10_000


class DatabaseConnection(dramatiq.Middleware):
    """Opens the worker thread's database connection per message and returns it to the pool after.

    A failed connect raises PlatformUnavailable, so the broker redelivers the message
    with backoff (`workers.redelivery`) instead of dead-lettering it; a connection that
    saw an error is discarded, not pooled.
    """

    def before_process_message(self, broker, message):
        try:
            database.connect(reuse_if_open=True)
        except Exception as exc:
            discard_connection()
            raise PlatformUnavailable(f"database unreachable: {type(exc).__name__}: {exc}") from exc

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is not None:
            discard_connection()
        elif not database.is_closed():
            try:
                database.close()
            except Exception:  # noqa: BLE001 - a broken connection: drop it
                discard_connection()

    after_skip_message = after_process_message


def make_broker(url: str) -> dramatiq.Broker:
    """A broker for `stub://`, `redis://...` or `amqp://...`, with the database middleware.

    Raises ValueError for another scheme.
    """
    if url.startswith("stub://"):
        broker = StubBroker(fail_fast_default=False)
        broker.emit_after("process_boot")
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url, heartbeat_timeout=REDIS_HEARTBEAT_TIMEOUT_MS,
                             maintenance_chance=REDIS_MAINTENANCE_CHANCE)
    elif url.startswith("amqp://"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"unsupported BROKER_URL {url!r}")
    broker.add_middleware(DatabaseConnection())
    return broker


def install_broker(url: str) -> dramatiq.Broker:
    """Make the broker for `url` the global Dramatiq broker (call before declaring actors)."""
    broker = make_broker(url)
    dramatiq.set_broker(broker)
    return broker
