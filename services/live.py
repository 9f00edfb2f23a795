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

Channels (prefix `cartwheel:`): `order:{order id}`, `customer:{user id}:orders`,
`orders` (every order, for staff), `stock:{product id}`.
This module imports neither Flask nor Dramatiq.
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

from peewee import JOIN

import config
from models.catalog import InventoryLevel, Product, Variant
from models.db import database, isoformat
from models.orders import Order

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "cartwheel:"
ALL_ORDERS_CHANNEL = CHANNEL_PREFIX + "orders"
LOCAL_QUEUE_SIZE = 1000  # messages buffered per in-process subscription before dropping
REDIS_RETRY_SECONDS = 5.0  # after a failed publish, skip Redis for this long
REDIS_CONNECT_TIMEOUT = 0.5  # seconds
SUBSCRIBE_CONFIRM_SECONDS = 2.0


def order_channel(order_id: str) -> str:
    """`cartwheel:order:{order_id}`: changes of one order."""
    return f"{CHANNEL_PREFIX}order:{order_id}"


def customer_orders_channel(user_id: str) -> str:
    """`cartwheel:customer:{user_id}:orders`: changes of any order of this customer (new ones too)."""
    return f"{CHANNEL_PREFIX}customer:{user_id}:orders"


def stock_channel(product_id: str) -> str:
    """`cartwheel:stock:{product_id}`: stock changes of any variant of this product."""
    return f"{CHANNEL_PREFIX}stock:{product_id}"


@dataclass(frozen=True)
class Message:
    """A received message: the channel it came on and its JSON object."""

    channel: str
    data: dict


class Subscription:
    """Messages on a set of channels, for one consumer; close it when done (or use `with`).

    `get(timeout)` returns the next `Message`, or None after `timeout` seconds
    without one. `degraded` is True when the backend failed (Redis went away):
    `get` then only waits, and the consumer should rely on polling.
    """

    degraded = False

    def get(self, timeout: float) -> Message | None:  # pragma: no cover - interface
        raise NotImplementedError

    def listen(self, timeout: float) -> Iterator[Message | None]:
        """Yield messages forever, and None each time `timeout` seconds pass without one."""
        while True:
            yield self.get(timeout)

    def close(self) -> None:
        """Stop receiving (idempotent)."""

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NullSubscription(Subscription):
    """A subscription that never receives (the backend is unavailable): `get` just waits."""

    degraded = True

    def get(self, timeout: float) -> Message | None:
        time.sleep(max(0.0, timeout))
        return None


# --------------------------------------------------------------------------- in-process backend

class _LocalSubscription(Subscription):
    def __init__(self, hub: "LocalHub", channels: tuple[str, ...]):
        self.hub = hub
        self.channels = channels
        self.queue: queue.Queue = queue.Queue(maxsize=LOCAL_QUEUE_SIZE)
        self.dropped = 0
        self.closed = False

    def deliver(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:  # a stalled consumer: drop (it re-reads state by polling anyway)
            self.dropped += 1

    def get(self, timeout: float) -> Message | None:
        try:
            return self.queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub._remove(self)


class LocalHub:
    """In-process fan-out: each subscription has a bounded queue fed by `publish`."""

    name = "local"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[_LocalSubscription]] = {}

    def publish(self, channel: str, data: dict) -> int:
        """Deliver `data` to every current subscriber of `channel`; returns how many."""
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        message = Message(channel, data)
        for sub in targets:
            sub.deliver(message)
        return len(targets)

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        sub = _LocalSubscription(self, tuple(dict.fromkeys(channels)))
        with self._lock:
            for channel in sub.channels:
                self._subscribers.setdefault(channel, set()).add(sub)
        return sub

    def _remove(self, sub: _LocalSubscription) -> None:
        with self._lock:
            for channel in sub.channels:
                subs = self._subscribers.get(channel)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel` (tests, diagnostics)."""
        with self._lock:
            return len(self._subscribers.get(channel, ()))


# --------------------------------------------------------------------------- Redis backend

class _RedisSubscription(Subscription):
    def __init__(self, backend: "RedisPubSub", channels: tuple[str, ...]):
        import redis

        self.backend = backend
        self.closed = False
        self.buffer: list[Message] = []
        self.pubsub = backend.client.pubsub()
        try:
            self.pubsub.subscribe(*channels)  # raises redis.RedisError when Redis is down
            # Wait for Redis to confirm every channel, so that a state read after this
            # returns cannot miss a change published in between.
            pending, deadline = len(channels), time.monotonic() + SUBSCRIBE_CONFIRM_SECONDS
            while pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise redis.TimeoutError("no subscribe confirmation from Redis")
                raw = self.pubsub.get_message(timeout=remaining)
                if raw is None:
                    continue
                if raw.get("type") == "subscribe":
                    pending -= 1
                elif raw.get("type") == "message" and (message := _decode(raw)) is not None:
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
                if raw is not None and raw.get("type") == "message":
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

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        """A Redis subscription (one connection); a NullSubscription when Redis is unreachable."""
        import redis

        try:
            return _RedisSubscription(self, tuple(dict.fromkeys(channels)))
        except (redis.RedisError, OSError) as exc:
            log.warning("live: cannot subscribe on Redis (%s); the stream falls back to polling", exc)
            return NullSubscription()


# --------------------------------------------------------------------------- selection and API

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


def subscribe(channels: Iterable[str]) -> Subscription:
    """Subscribe to `channels` (subscribe *before* reading the state the stream starts with,
    so no change falls between the read and the subscription)."""
    return backend().subscribe(list(channels))


# --------------------------------------------------------------------------- payloads

def order_status_view(order: Order) -> dict:
    """The `order-status` payload: orderId, orderNumber, status, paymentStatus, trackingNumber, updatedAt."""
    return {"orderId": order.id, "orderNumber": order.order_number, "status": order.status,
            "paymentStatus": order.payment_status, "trackingNumber": order.tracking_number,
            "updatedAt": isoformat(order.updated_at)}


def publish_order_changed(order_id: str) -> None:
    """After commit, announce the order's current status on its channel, its customer's
    channel and the all-orders channel. Reads the order inside the caller's transaction."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return
    message = dict(order_status_view(order), type="order")
    publish_after_commit(order_channel(order.id), message)
    if order.customer_id:
        publish_after_commit(customer_orders_channel(order.customer_id), message)
    publish_after_commit(ALL_ORDERS_CHANNEL, message)


def product_stock_views(product_ids: Iterable[str]) -> dict[str, dict]:
    """`stock-update` payloads per product id (products without variants are left out):
    `{"productId", "inventoryCount" (units on hand, all variants), "available",
    "variants": [{"variantId", "inventoryCount", "available"}]}` - default warehouse."""
    from services import inventory

    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    rows = (Variant.select(Variant.id, Variant.product, InventoryLevel.quantity)
            .join(InventoryLevel, join_type=JOIN.LEFT_OUTER,
                  on=((InventoryLevel.variant == Variant.id)
                      & (InventoryLevel.warehouse == inventory.default_warehouse_id())))
            .where(Variant.product.in_(ids)).order_by(Variant.product, Variant.position, Variant.id)
            .tuples())
    views: dict[str, dict] = {}
    for variant_id, product_id, quantity in rows:
        view = views.setdefault(product_id, {"productId": product_id, "inventoryCount": 0, "available": False,
                                             "variants": []})
        units = quantity or 0
        view["variants"].append({"variantId": variant_id, "inventoryCount": units, "available": units > 0})
        view["inventoryCount"] += units
        view["available"] = view["available"] or units > 0
    return views


def publish_stock_changed(variant_ids: Iterable[str]) -> None:
    """After commit, announce the stock of the products owning `variant_ids` on their
    `stock:{product id}` channels. Reads the levels inside the caller's transaction."""
    ids = list(dict.fromkeys(variant_ids))
    if not ids:
        return
    product_ids = [pid for (pid,) in Variant.select(Variant.product).where(Variant.id.in_(ids)).distinct().tuples()]
    for product_id, view in product_stock_views(product_ids).items():
        publish_after_commit(stock_channel(product_id), dict(view, type="stock"))


def active_products(product_ids: Iterable[str]) -> set[str]:
    """The ids among `product_ids` of products that exist and are active (publicly visible)."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return set()
    return {pid for (pid,) in Product.select(Product.id).where(Product.id.in_(ids), Product.status == "active")
            .tuples()}
