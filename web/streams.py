"""Live updates as Server-Sent Events: order status and product stock (seed 001
"Real-time Features": `order-status/:orderId`, `stock-updates`).

- `GET /api/v1/orders/{orderId}/events` (alias `/api/v1/realtime/order-status/{orderId}`):
  one order, visible as `GET /api/v1/orders/{id}` is (a guest order by its id, a
  customer's by them and staff; anyone else 404).
- `GET /api/v1/orders/events`: every order of the caller (staff: every order),
  new ones included; authentication required.
- `GET /api/v1/products/stock-updates?productIds=prod_a,prod_b` (alias
  `/api/v1/realtime/stock-updates`): stock of up to 50 active products; public.

Protocol: `retry: 3000` first, then one event per changed state. Events are
`event: order-status` (data: orderId, orderNumber, status, paymentStatus,
trackingNumber, updatedAt) and `event: stock-update` (data: productId,
inventoryCount, available, variants[{variantId, inventoryCount, available}]),
each with `id:` = a hash of the state it carries. The first events are the
current state (one per order or product), so a client needs no separate GET.
A comment (`: keep-alive`) is sent after `SSE_KEEPALIVE_SECONDS` of silence,
and the server ends the stream after `SSE_MAX_SECONDS` (the client's
EventSource reconnects by itself).

Last-Event-ID: the streams carry state, not history; nothing is replayed. On a
single-order stream, a reconnect whose `Last-Event-ID` equals the current
state's id skips the (unchanged) first event; otherwise, and on the other
streams, the current state is always sent first.

Changes arrive through `services.platform.live` (Redis pub/sub, or in-process in
embedded mode) and wake the stream at once; the stream also re-reads the
state every `SSE_POLL_SECONDS`, so a lost message (pub/sub is at most once,
Redis may be down) only delays an update. A stream holds a server thread
(gunicorn gthread, waitress), so each process serves at most `SSE_MAX_STREAMS`
streams at once (job event streams included); past that, 503
`SERVICE_UNAVAILABLE` with reason `too_many_streams` and `Retry-After`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

import config
from models.db import database
from models.orders import Order
from services import catalog, orders
from services.errors import NotFound, ValidationFailed
from services.platform import live
from web.errors import error_response
from web.schemas import CamelSchema, ErrorEnvelopeSchema
from web.security import BEARER_SECURITY, current_user, require_user

blp = Blueprint("streams", __name__, url_prefix="/api/v1",
                description="Live updates (Server-Sent Events): order status and stock changes")

RETRY_MILLISECONDS = 3000  # `retry:` sent to clients: reconnect delay
MAX_PRODUCT_IDS = 50
RECENT_ORDERS = 20  # orders in the first events of /orders/events
MAX_TRACKED_ORDERS = 200
PRODUCT_ID = re.compile(r"^prod_[0-9A-Za-z]{1,40}$")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
EVENT_STREAM_CONTENT = {"text/event-stream": {"schema": {
    "type": "string", "description": "Server-Sent Events: `retry:`, then `id:` / `event:` / `data:` (JSON) blocks "
                                     "and `: keep-alive` comments"}}}


def sse_responses(description: str) -> dict:
    """OpenAPI `responses` documenting a 200 text/event-stream (flask-smorest leaves out the
    content of a response without a schema)."""
    return {"200": {"description": description, "content": EVENT_STREAM_CONTENT}}


def documents_stream(blp, description: str, **doc):
    """Decorator documenting a Server-Sent Events endpoint on `blp`: 200 `text/event-stream`
    (`description`), 503 when this process already serves `SSE_MAX_STREAMS` streams, and any
    further OpenAPI `doc` (parameters, security)."""
    def decorate(view):
        view = blp.doc(responses=sse_responses(description), **doc)(view)
        view = blp.alt_response(503, schema=ErrorEnvelopeSchema,
                                description="Too many live streams on this server")(view)
        return blp.response(200, description=description, content_type="text/event-stream")(view)

    return decorate


LAST_EVENT_ID_DOC = {"in": "header", "name": "Last-Event-ID", "required": False, "schema": {"type": "string",
                     "maxLength": 64}, "description": "Sent by EventSource on reconnect (see the tag description)"}


def stream_settings() -> dict:
    """The SSE_* settings (see config.py): concurrent streams per process (keep below the
    server's threads), maximum stream length, keep-alive interval and the lost-message
    re-read interval, in seconds. Copied into app.config so tests can tune one app."""
    s = config.get()
    return {"SSE_MAX_STREAMS": s.sse_max_streams, "SSE_MAX_SECONDS": s.sse_max_seconds,
            "SSE_KEEPALIVE_SECONDS": s.sse_keepalive_seconds, "SSE_POLL_SECONDS": s.sse_poll_seconds}


@blp.record_once
def _configure(state) -> None:
    for name, value in stream_settings().items():
        state.app.config.setdefault(name, value)
    state.app.extensions.setdefault("cartwheel_stream_slots", StreamSlots())


class StreamSlots:
    """Counts the open streams of one process against `SSE_MAX_STREAMS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def try_acquire(self, limit: int) -> Callable[[], None] | None:
        """Take a slot if fewer than `limit` are open; returns its release function
        (safe to call more than once), or None when full."""
        with self._lock:
            if self.active >= limit:
                return None
            self.active += 1
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                with self._lock:
                    self.active -= 1
        return release


def stream_slots() -> StreamSlots:
    """This app's (process's) stream slots."""
    return current_app.extensions.setdefault("cartwheel_stream_slots", StreamSlots())


def state_id(data: dict) -> str:
    """The `id:` of an event: the first 16 hex digits of SHA-256 over the canonical JSON state."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def sse_event(event: str, data: dict, event_id: str | None = None) -> str:
    """One SSE event block (`id:`, `event:`, `data:` lines and a blank line)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def too_many_streams():
    """The 503 envelope answered when this process already serves `SSE_MAX_STREAMS` streams."""
    return error_response(503, "SERVICE_UNAVAILABLE", "Too many live streams on this server; retry shortly",
                          [{"field": "request", "message": "Reconnect after Retry-After seconds"}],
                          reason="too_many_streams", headers={"Retry-After": "5"})


def acquire_stream_slot() -> Callable[[], None] | None:
    """Take one of this process's `SSE_MAX_STREAMS` stream slots: its release function, or
    None when all are taken (answer `too_many_streams()`). Release it with the response's
    `call_on_close`, which runs even when the client leaves before the first byte."""
    return stream_slots().try_acquire(current_app.config.get("SSE_MAX_STREAMS", config.get().sse_max_streams))


def event_stream(generate: Callable[[Callable[[], None]], Iterator[str]]) -> Response:
    """Answer with `generate(release)` as text/event-stream, holding one stream slot until the
    response is closed; a 503 envelope when no slot is free. Closes the request's database
    connection first, so a stream never holds a pooled connection between reads."""
    release = acquire_stream_slot()
    if release is None:
        return too_many_streams()
    if not database.is_closed() and not database.in_transaction():
        database.close()
    response = Response(generate(release), mimetype="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(release)  # also when the client went away before the first byte
    return response


@dataclass
class StateStream:
    """A stream of state snapshots keyed by id (order id, product id).

    `read(keys)` returns `{key: payload}` for `keys`, or for the stream's own
    set when `keys` is None; `key_of(message_data)` names the key a message is
    about (None: ignore it). Only a changed payload (by `state_id`) is sent.
    """

    event: str
    channels: list[str]
    read: Callable[[set | None], dict]
    key_of: Callable[[dict], str | None]
    last_event_id: str | None = None
    single: bool = False
    max_seconds: float = 300
    keepalive_seconds: float = 15
    poll_seconds: float = 5
    sent: dict = field(default_factory=dict)

    def _read(self, keys: set | None) -> dict:
        with database.connection_context():
            return self.read(keys)

    def _changed(self, states: dict) -> Iterator[str]:
        for key, data in states.items():
            event_id = state_id(data)
            if self.sent.get(key) != event_id:
                self.sent[key] = event_id
                while len(self.sent) > MAX_TRACKED_ORDERS:
                    self.sent.pop(next(iter(self.sent)))
                yield sse_event(self.event, data, event_id)

    def generate(self, release: Callable[[], None]) -> Iterator[str]:
        """The event stream; releases its slot and subscription when it ends or is closed."""
        subscription = None
        try:
            subscription = live.subscribe(self.channels)  # before the first read: no gap
            started = time.monotonic()
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            first = self._read(None)
            if self.single and self.last_event_id:
                self.sent = {key: self.last_event_id for key in first}
            yield from self._changed(first)
            last_write = next_poll = time.monotonic()
            next_poll += self.poll_seconds
            deadline = started + self.max_seconds
            while True:
                now = time.monotonic()
                if now >= deadline:
                    yield ": stream time limit reached; reconnect\n\n"
                    return
                wait = min(deadline, next_poll, last_write + self.keepalive_seconds) - now
                message = subscription.get(max(0.0, wait))
                keys = set()
                while message is not None:  # coalesce a burst into one read
                    key = self.key_of(message.data)
                    if key:
                        keys.add(key)
                    message = subscription.get(0)
                states = {}
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.poll_seconds
                    states = self._read(None)
                    keys |= set(self.sent) - set(states)
                if keys:
                    states.update(self._read(keys))
                chunks = list(self._changed(states))
                if chunks:
                    last_write = time.monotonic()
                    yield "".join(chunks)
                elif time.monotonic() - last_write >= self.keepalive_seconds:
                    last_write = time.monotonic()
                    yield ": keep-alive\n\n"
        finally:
            if subscription is not None:
                subscription.close()
            release()


def _stream_options() -> dict:
    cfg = current_app.config
    return {"max_seconds": cfg["SSE_MAX_SECONDS"], "keepalive_seconds": cfg["SSE_KEEPALIVE_SECONDS"],
            "poll_seconds": cfg["SSE_POLL_SECONDS"]}


def _last_event_id() -> str | None:
    value = request.headers.get("Last-Event-ID", "").strip()
    return value if 0 < len(value) <= 64 else None


# --------------------------------------------------------------------------- orders

def _order_key(data: dict) -> str | None:
    value = data.get("orderId")
    return value if isinstance(value, str) else None


def order_status_stream(order_id: str) -> Response:
    """The stream of one order the caller may see (NotFound otherwise)."""
    order = orders.get_order(order_id, current_user())

    def read(keys):
        found = Order.get_or_none(Order.id == order.id)
        return {found.id: orders.order_status_view(found)} if found is not None else {}

    stream = StateStream("order-status", [orders.order_channel(order.id)], read, _order_key,
                         last_event_id=_last_event_id(), single=True, **_stream_options())
    return event_stream(stream.generate)


def orders_status_stream() -> Response:
    """The stream of every order of the caller (staff: of everyone)."""
    user = require_user()
    staff = user.is_staff
    channel = orders.ALL_ORDERS_CHANNEL if staff else orders.customer_orders_channel(user.id)

    def read(keys):
        query = Order.select()
        if not staff:
            query = query.where(Order.customer == user.id)
        if keys is None:
            rows = list(query.order_by(Order.created_at.desc(), Order.id).limit(RECENT_ORDERS))
            rows.reverse()  # oldest first, so the newest event is the last one
        else:
            rows = list(query.where(Order.id.in_(list(keys))).order_by(Order.created_at, Order.id))
        return {row.id: orders.order_status_view(row) for row in rows}

    stream = StateStream("order-status", [channel], read, _order_key, **_stream_options())
    return event_stream(stream.generate)


ORDER_EVENTS_DOC = ("text/event-stream: `order-status` events (orderId, orderNumber, status, paymentStatus, "
                    "trackingNumber, updatedAt), the current state first")
ORDERS_EVENTS_DOC = ORDER_EVENTS_DOC + f" (of the {RECENT_ORDERS} most recent orders), then every change and new order"


@blp.route("/orders/<string:order_id>/events")
class OrderStatusStream(MethodView):
    @documents_stream(blp, ORDER_EVENTS_DOC, parameters=[LAST_EVENT_ID_DOC])
    def get(self, order_id):
        """Stream an order's status and payment status as Server-Sent Events."""
        return order_status_stream(order_id)


@blp.route("/realtime/order-status/<string:order_id>")
class RealtimeOrderStatus(MethodView):
    @documents_stream(blp, ORDER_EVENTS_DOC, parameters=[LAST_EVENT_ID_DOC])
    def get(self, order_id):
        """Stream an order's status (seed 001 path; same as /orders/{orderId}/events)."""
        return order_status_stream(order_id)


@blp.route("/orders/events")
class OrdersStatusStream(MethodView):
    @documents_stream(blp, ORDERS_EVENTS_DOC, security=BEARER_SECURITY)
    def get(self):
        """Stream status changes of all my orders (staff: all orders) as Server-Sent Events."""
        return orders_status_stream()


# --------------------------------------------------------------------------- stock

class StockUpdatesQueryArgsSchema(CamelSchema):
    product_ids = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_PRODUCT_IDS * 48),
                                   metadata={"description": f"Comma-separated product ids (at most {MAX_PRODUCT_IDS})"})


def parse_product_ids(raw: str) -> list[str]:
    """`prod_a,prod_b` -> unique ids in order. Raises ValidationFailed (422) for a malformed
    id, none, or more than `MAX_PRODUCT_IDS`."""
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    bad = [pid for pid in ids if not PRODUCT_ID.match(pid)]
    if bad or not ids or len(ids) > MAX_PRODUCT_IDS:
        message = (f"Malformed product ids: {', '.join(bad[:5])}" if bad
                   else f"Give 1 to {MAX_PRODUCT_IDS} product ids")
        raise ValidationFailed(message, reason="invalid_product_ids",
                               details=[{"field": "productIds",
                                         "message": f"Comma-separated prod_... ids, at most {MAX_PRODUCT_IDS}"}])
    return ids


def stock_updates_stream(raw_ids: str) -> Response:
    """The stock stream of active products `raw_ids` (NotFound naming any unknown one)."""
    ids = parse_product_ids(raw_ids)
    missing = [pid for pid in ids if pid not in catalog.active_products(ids)]
    if missing:
        raise NotFound(f"Product not found: {', '.join(missing[:5])}", reason="product_not_found",
                       details=[{"field": "productIds", "message": f"Unknown or inactive: {pid}"}
                                for pid in missing[:MAX_PRODUCT_IDS]])

    def read(keys):
        return catalog.product_stock_views(ids if keys is None else [k for k in ids if k in keys])

    def key_of(data):
        value = data.get("productId")
        return value if isinstance(value, str) and value in ids else None

    stream = StateStream("stock-update", [catalog.stock_channel(pid) for pid in ids], read, key_of,
                         **_stream_options())
    return event_stream(stream.generate)


STOCK_EVENTS_DOC = ("text/event-stream: `stock-update` events (productId, inventoryCount, available, "
                    "variants[{variantId, inventoryCount, available}]), the current stock first")


@blp.route("/products/stock-updates")
class StockUpdatesStream(MethodView):
    @blp.arguments(StockUpdatesQueryArgsSchema, location="query")
    @documents_stream(blp, STOCK_EVENTS_DOC)
    def get(self, args):
        """Stream stock changes of products as Server-Sent Events."""
        return stock_updates_stream(args["product_ids"])


@blp.route("/realtime/stock-updates")
class RealtimeStockUpdates(MethodView):
    @blp.arguments(StockUpdatesQueryArgsSchema, location="query")
    @documents_stream(blp, STOCK_EVENTS_DOC)
    def get(self, args):
        """Stream stock changes of products (seed 001 path; same as /products/stock-updates)."""
        return stock_updates_stream(args["product_ids"])
