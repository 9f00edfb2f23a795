"""Fulfilment grouped by store (seed 002: an order's items carry their store): each store ships
its own lines, like Shopify's fulfillment orders (one per location) or a Medusa marketplace's
per-vendor orders, and the order follows its stores.

A store part of an order (its lines; the shop's own lines are the part with store None) moves
forward only: unfulfilled -> preparing -> shipped -> delivered (steps may be skipped: a store's
own courier delivers straight away; the same status again updates the carrier and tracking
number). Staff with `orders:manage` move any part, a store's staff (services.content
`is_store_staff`) their store's. A part can move while the order is confirmed, processing or
shipped (paid or cash on delivery, not held, not cancelled), else 409 `order_not_fulfillable`.

The order follows, in the same transaction (services.orders.transitions.update_status, with its
effects: timeline, live channel, notifications, cash-on-delivery paid and cashback on delivery):
the first part preparing moves a confirmed order to processing, every part shipped (or further)
moves it to shipped, every part delivered to delivered. The other way round, staff moving the
whole order (`PUT /orders/{id}/status`) carries every part with it: a part of a shipped order
shows at least shipped, of a delivered order delivered, of a cancelled order cancelled.

A part's move is a `fulfillment_updated` step on the order's timeline and an update on its live
channel; it sends the customer nothing by itself (the order's own shipped and delivered do).

Concurrent updates of two stores' parts serialise on the order row (FOR UPDATE on PostgreSQL,
SQLite's write lock), so the last part shipping always sees the others and ships the order once.
"""

from __future__ import annotations

from models.db import atomic, is_postgres, utcnow
from models.orders import FULFILLMENT_STATUSES, Order, OrderFulfillment, OrderItem
from models.users import User
from services import content
from services.errors import Conflict, NotFound, ValidationFailed
from services.orders import timeline, transitions
from services.orders.live import publish_order_changed
from services.orders.store_order_reads import RANK, part_status

FULFILLABLE_ORDER_STATUSES = ("confirmed", "processing", "shipped")


def order_store_ids(order_id: str) -> set[str | None]:
    """The stores with lines in the order (None: the shop's own lines)."""
    return {row.store_id for row in OrderItem.select(OrderItem.store_id).where(OrderItem.order == order_id)}


def may_fulfil(user: User, store_id: str | None, manage_all: bool) -> bool:
    """Whether `user` may move the part of `store_id`: `manage_all` (orders:manage), or the
    store's own staff (never the shop's own part, store None)."""
    return manage_all or (store_id is not None and content.is_store_staff(user, store_id))


def update_part(order_id: str, store_id: str | None, status: str, actor: User, manage_all: bool,
                carrier: str | None = None, tracking_number: str | None = None) -> Order:
    """Move the part of `store_id` (None: the shop's own lines) of the order to `status` (one of
    FULFILLMENT_STATUSES but unfulfilled), with an optional carrier and tracking number, and move
    the order along when its parts say so (module docstring). Returns the order, re-read.

    Raises NotFound (404 `order_not_found`: no such order, or the caller may not fulfil any part
    of it; 404 `fulfillment_not_found`: the order has no lines of that store, or it is another
    store's part), Conflict (409 `order_not_fulfillable`: the order is pending, on hold, delivered
    or cancelled; 409 `fulfillment_backwards`: the part is already further); ValidationFailed (422
    `unknown_fulfillment_status`)."""
    if status not in FULFILLMENT_STATUSES or status == "unfulfilled":
        raise ValidationFailed(f"Unknown fulfilment status {status!r}", reason="unknown_fulfillment_status",
                               details=[{"field": "status", "message": "preparing, shipped or delivered"}])
    with atomic():
        query = Order.select().where(Order.id == order_id)
        order = (query.for_update() if is_postgres() else query).first()
        stores = order_store_ids(order_id) if order is not None else set()
        mine = {sid for sid in stores if may_fulfil(actor, sid, manage_all)}  # the parts the caller may move
        if not mine:
            raise NotFound("Order not found", reason="order_not_found")
        if store_id not in mine:
            raise NotFound("The order has no lines of this store", reason="fulfillment_not_found",
                           details=[{"field": "storeId", "message": "not a store of this order"}])
        if order.status not in FULFILLABLE_ORDER_STATUSES:
            raise Conflict(f"An order that is {order.status} cannot be fulfilled", reason="order_not_fulfillable")
        row = OrderFulfillment.get_or_none(OrderFulfillment.order == order_id,
                                           OrderFulfillment.store_key == (store_id or ""))
        current = part_status(order.status, row.status if row else None)
        if RANK[status] < RANK[current]:
            raise Conflict(f"This part is already {current}", reason="fulfillment_backwards")
        _write_part(order_id, store_id, row, status, actor, carrier, tracking_number)
        timeline.record_event(order_id, "fulfillment_updated", actor, storeId=store_id, status=status,
                              carrier=carrier, trackingNumber=tracking_number)
        _follow_parts(order, stores, actor)
        publish_order_changed(order_id)  # after commit: the order's watchers see the part move
    return Order.get_by_id(order_id)


def _write_part(order_id: str, store_id: str | None, row: OrderFulfillment | None, status: str, actor: User,
                carrier: str | None, tracking_number: str | None) -> None:
    now = utcnow()
    changes = {"status": status, "updated_at": now, "updated_by": actor.id}
    if carrier is not None:
        changes["carrier"] = carrier
    if tracking_number is not None:
        changes["tracking_number"] = tracking_number
    if status in ("shipped", "delivered") and not (row and row.shipped_at):
        changes["shipped_at"] = now
    if status == "delivered" and not (row and row.delivered_at):
        changes["delivered_at"] = now
    if row is None:
        OrderFulfillment.create(order=order_id, store_key=store_id or "", created_at=now, **changes)
    else:
        OrderFulfillment.update(**changes).where(OrderFulfillment.id == row.id).execute()


def _follow_parts(order: Order, stores: set[str | None], actor: User) -> None:
    """Move the order to what all its parts reached (inside the caller's transaction)."""
    stored = {row.store_key or None: row.status
              for row in OrderFulfillment.select().where(OrderFulfillment.order == order.id)}
    least = min(RANK[part_status(order.status, stored.get(sid))] for sid in stores)
    target = {3: "delivered", 2: "shipped"}.get(least)
    if target is None and order.status == "confirmed" and any(
            RANK[s] >= RANK["preparing"] for s in stored.values()):
        target = "processing"
    if target == "delivered" and order.status != "shipped":
        order = transitions.update_status(order, "shipped", actor=actor)
    if target and target != order.status:
        transitions.update_status(order, target, actor=actor)
