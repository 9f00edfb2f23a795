"""Live updates: a small publish/subscribe layer behind the order-status and
stock-updates streams (seed 001 "Real-time Features").

One interface, two backends, chosen by configuration only:

- **Redis pub/sub** when `REDIS_URL` is set (or, failing that, when
  `BROKER_URL` is a `redis://` URL: the broker's server is used). Every API,
  worker and scheduler process publishes to and subscribes on the same server,
  so a payment confirmed by a `dramatiq` process reaches a stream served by a
  gunicorn process.
- **In-process hub** otherwise (embedded mode: the API, the worker threads and
  the scheduler thread share one process).

`publish(channel, message)` sends a JSON object now; `publish_after_commit`
sends it when the current database transaction commits (peewee's
`Database.after_commit`, cleared on rollback), so a change that rolls back
never announces itself. `subscribe(channels)` returns a `Subscription` whose
`get(timeout)` / `listen(timeout)` yield `Message`s, or None when `timeout`
seconds pass without one.

Delivery is at most once (Redis pub/sub drops messages while a subscriber is
disconnected; the in-process queues drop on overflow). Messages are therefore
*hints*: a stream re-reads the current state from the database when one
arrives, and also re-reads it every few seconds, so a lost message only delays
an update. Publishing never raises: with Redis down a publish is logged and
dropped (and further publishes are skipped for `REDIS_RETRY_SECONDS`), so
checkout and payments carry on.

Channels are named by the packages that publish on them (`services.orders`,
`services.catalog`) through `channel(name)`, which adds the `cartwheel:` prefix.
This package imports no domain package, and neither Flask nor Dramatiq.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Iterable

import config
from models.db import database
from services.platform.live.local import LocalHub
from services.platform.live.redis_backend import RedisPubSub
from services.platform.live.subscriptions import Message, NullSubscription, Subscription

__all__ = ["CHANNEL_PREFIX", "LocalHub", "Message", "NullSubscription", "RedisPubSub", "Subscription", "backend",
           "channel", "local_hub", "publish", "publish_after_commit", "redis_url_for", "subscribe"]

log = logging.getLogger("services.live")

CHANNEL_PREFIX = "cartwheel:"


def channel(name: str) -> str:
    """The full channel name for `name`: `cartwheel:{name}`."""
    return CHANNEL_PREFIX + name


_local_hub = LocalHub()
_redis_backends: dict[str, RedisPubSub] = {}
_backends_lock = threading.Lock()


def redis_url_for(settings: config.Settings) -> str:
    """The Redis URL live updates use: `REDIS_URL`, else a `redis://` `BROKER_URL`, else '' (in-process)."""
    if settings.redis_url:
        return settings.redis_url
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return ""


def backend():
    """The backend for the current settings: a `RedisPubSub` (one per URL per process) or the `LocalHub`."""
    url = redis_url_for(config.get())
    if not url:
        return _local_hub
    with _backends_lock:
        found = _redis_backends.get(url)
        if found is None:
            found = _redis_backends[url] = RedisPubSub(url)
        return found


def local_hub() -> LocalHub:
    """The process's in-process hub (embedded mode)."""
    return _local_hub


def publish(channel: str, message: dict) -> int:
    """Send `message` (a JSON-serialisable dict) on `channel` now. Never raises; returns the
    number of receivers reached (0 on failure). Inside a transaction use `publish_after_commit`."""
    try:
        return backend().publish(channel, message)
    except Exception:  # noqa: BLE001 - live updates must never break the caller
        log.exception("live: publish on %s failed", channel)
        return 0


def publish_after_commit(channel: str, message: dict) -> None:
    """Send `message` on `channel` once the current transaction commits (now, outside one).

    A rollback of the outermost transaction discards it. (A rolled-back *savepoint*
    inside a committed transaction does not: subscribers re-read state, so such a
    message is at worst a redundant wake-up.)
    """
    database.after_commit(functools.partial(publish, channel, message))


def subscribe(channels: Iterable[str], patterns: Iterable[str] = ()) -> Subscription:
    """Subscribe to `channels`, and to every channel matching one of the glob `patterns` (`*`, `?`,
    `[...]`, as Redis PSUBSCRIBE; a message's `channel` is then the channel it was published on).
    Do not name a channel that a pattern also matches: Redis would deliver its messages twice.
    Subscribe *before* reading the state the stream starts with, so no change falls between the
    read and the subscription."""
    return backend().subscribe(list(channels), list(patterns))
