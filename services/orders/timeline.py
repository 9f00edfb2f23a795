"""An order's tracking timeline (seed 001 `GET /orders/{id}/tracking`): every step recorded as an
`OrderEvent` in the transaction that made it (placed, confirmed, on hold, packed, shipped with
carrier and tracking number, courier assigned, out for delivery, failed delivery, delivered,
cancelled, paid, refunded, a payment dispute closed), with its time and actor, and announced on the order's live channel
(the `order-status` event carries the latest step as `lastEvent`)."""

from __future__ import annotations

import datetime as dt

from models.db import isoformat, utcnow
from models.orders import OrderDelivery, OrderEvent, Order
from models.users import User

LABELS = {"placed": "Order placed", "confirmed": "Order confirmed", "on_hold": "On hold for review",
          "packed": "Packed", "shipped": "Shipped", "courier_assigned": "Courier assigned",
          "out_for_delivery": "Out for delivery", "delivery_failed": "Delivery attempt failed",
          "delivery_proof": "Proof of delivery photo",
          "delivered": "Delivered", "cancelled": "Cancelled", "paid": "Payment received", "refunded": "Refunded",
          "dispute_closed": "Payment dispute closed", "fulfillment_updated": "Store fulfilment updated"}
STATUS_EVENTS = {"confirmed": "confirmed", "processing": "packed", "shipped": "shipped", "delivered": "delivered",
                 "cancelled": "cancelled", "on_hold": "on_hold"}
"""Order status -> the timeline step that moving into it records."""


def record_event(order_id: str, type_: str, actor: User | None = None, **data) -> OrderEvent:
    """Append step `type_` (models.orders.TRACKING_EVENTS) to the order's timeline, by `actor`
    (None: the system); `data` keys with None values are left out. Call inside the transaction
    that made the change."""
    return record_events(order_id, [type_], actor, **data)


def record_events(order_id: str, types: list[str], actor: User | None = None, **data) -> OrderEvent:
    """Append several steps at once (one INSERT), as `record_event` does each, in the order given:
    each a microsecond after the one before, so the timeline keeps that order. Returns the last
    (the order's latest step). Call inside the transaction that made the change."""
    now = utcnow()
    fields = {"actor": actor.id if actor else None, "actor_role": actor.role if actor else "system",
              "data": {k: v for k, v in data.items() if v is not None}}
    rows = [OrderEvent(order=order_id, type=type_, created_at=now + dt.timedelta(microseconds=n), **fields)
            for n, type_ in enumerate(types)]
    OrderEvent.insert_many([row.__data__ for row in rows]).execute()
    return rows[-1]


def event_summary(event: OrderEvent | None) -> dict | None:
    """A step as `{"type", "label", "at"}` (None for None)."""
    return None if event is None else {"type": event.type, "label": LABELS[event.type],
                                       "at": isoformat(event.created_at)}


def latest_event(order_id: str) -> dict | None:
    """The order's last step as `{"type", "label", "at"}` (None before any)."""
    return event_summary(OrderEvent.select().where(OrderEvent.order == order_id)
                         .order_by(OrderEvent.created_at.desc(), OrderEvent.id.desc()).first())


def _event_view(event: OrderEvent, staff: bool) -> dict:
    view = {"type": event.type, "label": LABELS[event.type], "at": isoformat(event.created_at),
            "actorRole": event.actor_role, **event.data}
    if staff:
        view["actorId"] = event.actor_id
    return view


def tracking_view(order: Order, viewer: User | None) -> dict:
    """`{"orderId", "orderNumber", "status", "paymentStatus", "carrier", "trackingNumber",
    "estimatedDelivery", "delivery": {"status", "courierName", "attempts", "deliveredAt"} | null,
    "events": [{"type", "label", "at", "actorRole", ...data, "actorId" (staff only)}]}`, oldest
    step first. An order placed before the timeline existed shows one `placed` step at its
    creation time."""
    staff = bool(viewer and viewer.is_staff)
    events = [_event_view(e, staff) for e in OrderEvent.select().where(OrderEvent.order == order.id)
              .order_by(OrderEvent.created_at, OrderEvent.id)]
    if not events:
        events = [{"type": "placed", "label": LABELS["placed"], "at": isoformat(order.created_at),
                   "actorRole": "system"}]
    delivery = (OrderDelivery.select(OrderDelivery, User).join(User, on=(OrderDelivery.courier == User.id))
                .where(OrderDelivery.order == order.id).first())
    return {
        "orderId": order.id, "orderNumber": order.order_number, "status": order.status,
        "paymentStatus": order.payment_status, "carrier": order.carrier, "trackingNumber": order.tracking_number,
        "estimatedDelivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
        "delivery": None if delivery is None else {
            "status": delivery.status, "courierName": delivery.courier.first_name or "Courier",
            "attempts": delivery.attempts, "deliveredAt": isoformat(delivery.delivered_at)},
        "events": events,
    }
