"""Live order status as Server-Sent Events (seed 001 "Real-time Features": `order-status/:orderId`).

- `GET /api/v1/orders/{orderId}/events` (alias `/api/v1/realtime/order-status/{orderId}`):
  one order, visible as `GET /api/v1/orders/{id}` is (a guest order by its id, a
  customer's by them and staff; anyone else 404).
- `GET /api/v1/orders/events`: every order of the caller (staff: every order),
  new ones included; authentication required.
- `GET /api/v1/realtime/cart-sync` (seed 001 cross-device cart sync): `cart-update` events of
  the caller's carts (services.orders.cart_live), the current state first; authentication
  required.

Events are `event: order-status` (data: orderId, orderNumber, status, paymentStatus,
trackingNumber, updatedAt), each with `id:` = a hash of the state it carries; the first
events are the current state (one per order), so a client needs no separate GET. The
protocol, keep-alives, time limit and the per-process cap are web.sse's.

Last-Event-ID: the streams carry state, not history; nothing is replayed. On a
single-order stream, a reconnect whose `Last-Event-ID` equals the current
state's id skips the (unchanged) first event; otherwise the current state is always sent first.
(The product stock stream is web.product_stock_updates.)
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from models.orders import Order
from services import orders
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, current_user, require_user
from web.sse import LAST_EVENT_ID_DOC, StateStream, documents_stream, event_stream, last_event_id, stream_options

blp = Blueprint("streams", __name__, url_prefix="/api/v1",
                description="Live updates (Server-Sent Events): order status, cart sync")

RECENT_ORDERS = 20  # orders in the first events of /orders/events


class OrderStatusEventSchema(ma.Schema):
    """`data` of an `order-status` event."""

    orderId = ma.fields.String(required=True)
    orderNumber = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    paymentStatus = ma.fields.String(required=True)
    trackingNumber = ma.fields.String(required=True, allow_none=True)
    updatedAt = ma.fields.String(required=True, allow_none=True)
    lastEvent = ma.fields.Dict(allow_none=True, metadata={"description": "the latest tracking step: {type, label, at}"})


ORDER_EVENTS = {"order-status": OrderStatusEventSchema}


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
                         last_event_id=last_event_id(), single=True, **stream_options())
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

    stream = StateStream("order-status", [channel], read, _order_key, **stream_options())
    return event_stream(stream.generate)


ORDER_EVENTS_DOC = ("text/event-stream: `order-status` events (orderId, orderNumber, status, paymentStatus, "
                    "trackingNumber, updatedAt), the current state first")
ORDERS_EVENTS_DOC = ORDER_EVENTS_DOC + f" (of the {RECENT_ORDERS} most recent orders), then every change and new order"


@blp.route("/orders/<order:order_id>/events")
class OrderStatusStream(MethodView):
    @documents_stream(blp, ORDER_EVENTS_DOC, ORDER_EVENTS, parameters=[LAST_EVENT_ID_DOC],
                      security=OPTIONAL_BEARER_SECURITY)
    def get(self, order_id):
        """Stream an order's status and payment status as Server-Sent Events."""
        return order_status_stream(order_id)


@blp.route("/realtime/order-status/<order:order_id>")
class RealtimeOrderStatus(MethodView):
    @documents_stream(blp, ORDER_EVENTS_DOC, ORDER_EVENTS, parameters=[LAST_EVENT_ID_DOC],
                      security=OPTIONAL_BEARER_SECURITY)
    def get(self, order_id):
        """Stream an order's status (seed 001 path; same as /orders/{orderId}/events)."""
        return order_status_stream(order_id)


@blp.route("/orders/events")
class OrdersStatusStream(MethodView):
    @documents_stream(blp, ORDERS_EVENTS_DOC, ORDER_EVENTS, security=BEARER_SECURITY)
    def get(self):
        """Stream status changes of all my orders (staff: all orders) as Server-Sent Events."""
        return orders_status_stream()


class CartUpdateEventSchema(ma.Schema):
    """`data` of a `cart-update` event."""

    cartId = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "active | converted | merged | expired"})
    itemCount = ma.fields.Integer(required=True, metadata={"description": "units in the cart"})
    updatedAt = ma.fields.String(required=True, allow_none=True)


CART_EVENTS = {"cart-update": CartUpdateEventSchema}
CART_EVENTS_DOC = ("text/event-stream: `cart-update` events (cartId, status, itemCount, updatedAt): the state of "
                   "your newest active carts (at most 5) first, then every change of any of your carts (re-read "
                   "the cart to sync)")


def _cart_key(data: dict) -> str | None:
    value = data.get("cartId")
    return value if isinstance(value, str) else None


@blp.route("/realtime/cart-sync")
class CartSyncStream(MethodView):
    @documents_stream(blp, CART_EVENTS_DOC, CART_EVENTS, security=BEARER_SECURITY)
    def get(self):
        """Stream changes of my carts as Server-Sent Events (seed 001 cross-device cart sync)."""
        user = require_user()

        def read(keys):
            return orders.customer_cart_states(user.id, keys)

        stream = StateStream("cart-update", [orders.customer_cart_channel(user.id)], read, _cart_key,
                             **stream_options())
        return event_stream(stream.generate)
