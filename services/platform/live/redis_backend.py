"""The Redis pub/sub backend of live updates: one connection per subscription; publishing
never raises (a failure pauses publishing for `REDIS_RETRY_SECONDS`)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Iterable

from services.platform.live.subscriptions import Message, NullSubscription, Subscription

log = logging.getLogger("services.live")

REDIS_RETRY_SECONDS = 5.0  # after a failed publish, skip Redis for this long
REDIS_CONNECT_TIMEOUT = 0.5  # seconds
SUBSCRIBE_CONFIRM_SECONDS = 2.0
MESSAGE_TYPES = ("message", "pmessage")  # by channel name, by pattern (PSUBSCRIBE)


class _RedisSubscription(Subscription):
    def __init__(self, backend: "RedisPubSub", channels: tuple[str, ...], patterns: tuple[str, ...] = ()):
        import redis

        self.backend = backend
        self.closed = False
        self.buffer: list[Message] = []
        self.pubsub = backend.client.pubsub()
        try:
            if channels:
                self.pubsub.subscribe(*channels)  # raises redis.RedisError when Redis is down
            if patterns:
                self.pubsub.psubscribe(*patterns)
            # Wait for Redis to confirm every channel, so that a state read after this
            # returns cannot miss a change published in between.
            pending, deadline = len(channels) + len(patterns), time.monotonic() + SUBSCRIBE_CONFIRM_SECONDS
            while pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise redis.TimeoutError("no subscribe confirmation from Redis")
                raw = self.pubsub.get_message(timeout=remaining)
                if raw is None:
                    continue
                if raw.get("type") in ("subscribe", "psubscribe"):
                    pending -= 1
                elif raw.get("type") in MESSAGE_TYPES and (message := _decode(raw)) is not None:
                    self.buffer.append(message)
            self.pubsub.ignore_subscribe_messages = True
        except BaseException:
            self._close_pubsub()
            raise

    def get(self, timeout: float) -> Message | None:
        import redis

        if self.buffer:
            return self.buffer.pop(0)
        if self.degraded:
            time.sleep(max(0.0, timeout))
            return None
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            while True:
                # get_message may return None early (after a subscribe confirmation): wait out the rest.
                raw = self.pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
                if raw is not None and raw.get("type") in MESSAGE_TYPES:
                    message = _decode(raw)
                    if message is not None:
                        return message
                if time.monotonic() >= deadline:
                    return None
        except (redis.RedisError, OSError) as exc:
            log.warning("live: Redis subscription lost (%s); the stream falls back to polling", exc)
            self.degraded = True
            self._close_pubsub()
            time.sleep(max(0.0, deadline - time.monotonic()))
            return None

    def _close_pubsub(self) -> None:
        try:
            self.pubsub.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close_pubsub()


def _decode(raw: dict) -> Message | None:
    channel = raw.get("channel")
    channel = channel.decode() if isinstance(channel, bytes) else str(channel)
    try:
        data = json.loads(raw.get("data"))
    except (TypeError, ValueError):
        log.warning("live: ignoring a non-JSON message on %s", channel)
        return None
    return Message(channel, data if isinstance(data, dict) else {"value": data})


class RedisPubSub:
    """Redis pub/sub backend. Publishing never raises: a failure is logged and Redis is
    skipped for `REDIS_RETRY_SECONDS` (so an outage costs one short connect timeout per
    window, not one per publish)."""

    name = "redis"

    def __init__(self, url: str):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=5,
                                           health_check_interval=30)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def publish(self, channel: str, data: dict) -> int:
        """Publish `data` as JSON; returns the receiver count Redis reports (0 when skipped or failed)."""
        import redis

        if time.monotonic() < self._down_until:
            return 0
        try:
            return int(self.client.publish(channel, json.dumps(data, separators=(",", ":"), default=str)))
        except (redis.RedisError, OSError) as exc:
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            if first:
                log.warning("live: cannot publish to Redis (%s); live updates paused for %.0fs", exc,
                            REDIS_RETRY_SECONDS)
            return 0

    def subscribe(self, channels: Iterable[str], patterns: Iterable[str] = ()) -> Subscription:
        """A Redis subscription (one connection) to `channels` and the glob `patterns` (PSUBSCRIBE);
        a NullSubscription when Redis is unreachable."""
        import redis

        try:
            return _RedisSubscription(self, tuple(dict.fromkeys(channels)), tuple(dict.fromkeys(patterns)))
        except (redis.RedisError, OSError) as exc:
            log.warning("live: cannot subscribe on Redis (%s); the stream falls back to polling", exc)
            return NullSubscription()
