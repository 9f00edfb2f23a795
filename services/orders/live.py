"""Order changes on the live-update channels: the `order-status` payload and its channels
`order:{order id}`, `customer:{user id}:orders` and `orders` (every order, for staff), and the
customer's own real-time event `order_status_update` (seed 002; services.platform.user_events).

Publishing happens after commit (`live.publish_after_commit`), so a change that rolls
back never announces itself.
"""

from __future__ import annotations

from models.db import isoformat
from models.orders import Order, OrderEvent
from services.orders.timeline import event_summary, latest_event
from services.platform import live, user_events

ALL_ORDERS_CHANNEL = live.channel("orders")


def order_channel(order_id: str) -> str:
    """`cartwheel:order:{order_id}`: changes of one order."""
    return live.channel(f"order:{order_id}")


def customer_orders_channel(user_id: str) -> str:
    """`cartwheel:customer:{user_id}:orders`: changes of any order of this customer (new ones too)."""
    return live.channel(f"customer:{user_id}:orders")


def order_status_view(order: Order, last_event: OrderEvent | None = None) -> dict:
    """The `order-status` payload: orderId, orderNumber, status, paymentStatus, trackingNumber,
    updatedAt, and lastEvent: the latest tracking step `{"type", "label", "at"}` (null before any;
    services.orders.timeline): `last_event` when the caller holds it, else read."""
    return {"orderId": order.id, "orderNumber": order.order_number, "status": order.status,
            "paymentStatus": order.payment_status, "trackingNumber": order.tracking_number,
            "updatedAt": isoformat(order.updated_at),
            "lastEvent": event_summary(last_event) if last_event is not None else latest_event(order.id)}


def publish_order_changed(order: Order | str, last_event: OrderEvent | None = None) -> None:
    """After commit, announce the order's current status on its channel, its customer's
    channel and the all-orders channel, and send its customer (not a guest) the user event
    `order_status_update` with the `order_status_view` payload. Given an id, reads the order
    inside the caller's transaction; given the Order, trusts it as it will commit, and
    `last_event` (the step the caller just recorded, when it is the latest) spares reading that."""
    if isinstance(order, str):
        order = Order.get_or_none(Order.id == order)
        if order is None:
            return
    view = order_status_view(order, last_event)
    message = dict(view, type="order")
    live.publish_after_commit(order_channel(order.id), message)
    if order.customer_id:
        live.publish_after_commit(customer_orders_channel(order.customer_id), message)
        user_events.publish_user_event(order.customer_id, "order_status_update", dict(view))
    live.publish_after_commit(ALL_ORDERS_CHANNEL, message)
