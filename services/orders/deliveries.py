"""Couriers (seed 003's livreur) and local deliveries (seed 001 `PUT /orders/{id}/delivery`): staff
assign a confirmed or packed order to a courier; the courier lists their deliveries and moves
each one along, and sees nothing else (another courier's delivery is 404).

Delivery flow: assigned -> out_for_delivery (the order becomes shipped, carrier "courier") ->
delivered (with the actual time; the order becomes delivered) or failed (with a reason) -> out
for delivery again. A cash-on-delivery order is delivered only with `cashCollected: true`: the
cash collected marks its payment paid (services.orders.transitions), which earns its loyalty
points like a card payment. Each step lands on the order's timeline (services.orders.timeline).
"""

from __future__ import annotations

import datetime as dt

from models.db import atomic, isoformat, utcnow
from models.orders import OrderDelivery, Order, OrderItem
from models.users import User
from services.errors import Conflict, NotFound, ValidationFailed
from services.orders import timeline, transitions
from services.orders.live import publish_order_changed

ASSIGNABLE = ("confirmed", "processing")
MOVES = {"assigned": ("out_for_delivery",), "out_for_delivery": ("delivered", "failed"),
         "failed": ("out_for_delivery",), "delivered": ()}


def assign_courier(order: Order, courier_id: str, staff: User) -> OrderDelivery:
    """Give the order's delivery to courier `courier_id` (reassigning an undelivered one). Raises
    ValidationFailed (422 `not_a_courier`), Conflict (409 `order_not_deliverable`: not confirmed
    or packed, or already delivered)."""
    courier = User.get_or_none(User.id == courier_id)
    if courier is None or courier.role != "courier" or not courier.is_active:
        raise ValidationFailed("No active courier with this id", reason="not_a_courier",
                               details=[{"field": "courierId", "message": "Must be an active courier's id"}])
    with atomic():
        delivery = OrderDelivery.get_or_none(OrderDelivery.order == order.id)
        if (delivery is None and order.status not in ASSIGNABLE) or (delivery and delivery.status == "delivered"):
            raise Conflict(f"An order {order.status} cannot be given to a courier", reason="order_not_deliverable")
        now = utcnow()
        if delivery is None:
            delivery = OrderDelivery.create(order=order.id, courier=courier.id, assigned_by=staff.id,
                                            created_at=now, updated_at=now)
        else:
            OrderDelivery.update(courier=courier.id, assigned_by=staff.id, updated_at=now).where(
                OrderDelivery.id == delivery.id).execute()
        timeline.record_event(order.id, "courier_assigned", staff, courierId=courier.id)
        publish_order_changed(order.id)
    return OrderDelivery.get_by_id(delivery.id)


def _cash_due(order: Order) -> bool:
    """Whether the courier collects the order's total at the door (cash on delivery, not yet paid)."""
    return order.payment_method == "cash_on_delivery" and order.payment_status != "paid"


def delivery_for(order_id: str, user: User) -> OrderDelivery:
    """The order's delivery, for staff or its courier. Raises NotFound (404 `delivery_not_found`)."""
    query = OrderDelivery.select().where(OrderDelivery.order == order_id)
    if not user.is_staff:
        query = query.where(OrderDelivery.courier == user.id)
    delivery = query.first()
    if delivery is None:
        raise NotFound("Delivery not found", reason="delivery_not_found")
    return delivery


def update_delivery(order_id: str, user: User, status: str, delivered_at: dt.datetime | None = None,
                    reason: str | None = None, cash_collected: bool | None = None) -> OrderDelivery:
    """Move a delivery along (module docstring) as its courier (or staff). `delivered_at` (naive
    UTC, default now) may not be in the future. Raises NotFound (404 `delivery_not_found`),
    Conflict (409 `invalid_delivery_transition`), ValidationFailed (422
    `failure_reason_required`, `cash_not_collected`, `invalid_delivered_at`)."""
    delivery = delivery_for(order_id, user)
    if status not in MOVES[delivery.status]:
        raise Conflict(f"A delivery {delivery.status} cannot become {status}", reason="invalid_delivery_transition")
    order = Order.get_by_id(order_id)
    now = utcnow()
    changes = {"status": status, "updated_at": now}
    if status == "failed":
        if not reason:
            raise ValidationFailed("A failed delivery needs a reason", reason="failure_reason_required",
                                   details=[{"field": "reason", "message": "Required for a failed attempt"}])
        changes["failure_reason"] = reason[:500]
    if status == "delivered":
        if delivered_at is not None and delivered_at > now:
            raise ValidationFailed("deliveredAt is in the future", reason="invalid_delivered_at",
                                   details=[{"field": "deliveredAt", "message": "Must not be in the future"}])
        cash_due = _cash_due(order)
        if cash_due and not cash_collected:
            raise ValidationFailed("Collect the cash before marking a cash-on-delivery order delivered",
                                   reason="cash_not_collected",
                                   details=[{"field": "cashCollected", "message": f"Collect {order.total}"}])
        changes["delivered_at"] = delivered_at or now
        if cash_due:
            changes["cash_collected"] = order.total
    with atomic():
        moved = OrderDelivery.update(**changes).where(OrderDelivery.id == delivery.id,
                                                      OrderDelivery.status == delivery.status).execute()
        if not moved:
            raise Conflict("The delivery changed meanwhile; reload and retry", reason="concurrent_update")
        if status == "out_for_delivery":
            OrderDelivery.update(attempts=OrderDelivery.attempts + 1).where(OrderDelivery.id == delivery.id).execute()
            if order.status != "shipped":
                transitions.update_status(order, "shipped", actor=user, carrier="courier")
            timeline.record_event(order.id, "out_for_delivery", user)
        elif status == "failed":
            timeline.record_event(order.id, "delivery_failed", user, reason=reason[:500])
        else:
            transitions.update_status(Order.get_by_id(order.id), "delivered", actor=user)
        publish_order_changed(order.id)
    return OrderDelivery.get_by_id(delivery.id)


def list_deliveries(user: User, status: str | None, page: int, limit: int,
                    courier_id: str | None = None) -> tuple[list[OrderDelivery], int]:
    """A courier's deliveries (staff: everyone's, or `courier_id`'s), open ones first, then newest.
    Returns (deliveries, total)."""
    query = OrderDelivery.select()
    if not user.is_staff:
        query = query.where(OrderDelivery.courier == user.id)
    elif courier_id:
        query = query.where(OrderDelivery.courier == courier_id)
    if status:
        query = query.where(OrderDelivery.status == status)
    total = query.count()
    rows = query.order_by((OrderDelivery.status == "delivered"), OrderDelivery.created_at.desc(), OrderDelivery.id)
    return list(rows.paginate(page, limit)), total


def delivery_view(delivery: OrderDelivery) -> dict:
    """What a courier needs: `{"orderId", "orderNumber", "status", "attempts", "failureReason",
    "deliveredAt", "cashToCollect" (minor units; 0 when paid), "cashCollected", "currency",
    "courierId", "shippingAddress", "estimatedDelivery", "items": [{"name", "quantity"}],
    "assignedAt", "updatedAt", "proofPhotoUrl" (None without a photo, services.orders.delivery_proofs)}`."""
    order = Order.get_by_id(delivery.order_id)
    items = OrderItem.select(OrderItem.product_snapshot, OrderItem.quantity).where(OrderItem.order == order.id)
    return {"orderId": order.id, "orderNumber": order.order_number, "status": delivery.status,
            "attempts": delivery.attempts, "failureReason": delivery.failure_reason,
            "deliveredAt": isoformat(delivery.delivered_at), "cashToCollect": order.total if _cash_due(order) else 0,
            "cashCollected": delivery.cash_collected, "currency": order.currency, "courierId": delivery.courier_id,
            "shippingAddress": order.shipping_address,
            "estimatedDelivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
            "items": [{"name": (i.product_snapshot or {}).get("name"), "quantity": i.quantity} for i in items],
            "assignedAt": isoformat(delivery.created_at), "updatedAt": isoformat(delivery.updated_at),
            "proofPhotoUrl": f"/api/v1/orders/{order.id}/delivery/proof" if delivery.proof_photo else None}
