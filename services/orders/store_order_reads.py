"""Reading the store parts of orders (services.orders.store_fulfillment moves them): what each
part shows, the orders a store has lines in, and an order as its store sees it."""

from __future__ import annotations

from models.db import isoformat
from models.orders import FULFILLMENT_STATUSES, Order, OrderFulfillment, OrderItem

RANK = {status: rank for rank, status in enumerate(FULFILLMENT_STATUSES)}
CARRIED = ("shipped", "delivered")  # order statuses every part shows at least


def part_status(order_status: str, stored: str | None) -> str:
    """What a store part shows: `cancelled` for a cancelled order, else the furthest of its own
    status (`stored`; None: never updated, unfulfilled) and what the order's status implies."""
    if order_status == "cancelled":
        return "cancelled"
    own = stored or "unfulfilled"
    return order_status if order_status in CARRIED and RANK[order_status] > RANK[own] else own


def fulfillment_views(order: Order) -> dict[str | None, dict]:
    """store id (None: the shop's own lines) -> `{"status", "carrier", "trackingNumber",
    "shippedAt", "deliveredAt", "updatedAt"}` (ISO 8601 UTC or null) for each part of `order`
    that was updated; `default_view` gives the others."""
    views = {}
    for row in OrderFulfillment.select().where(OrderFulfillment.order == order.id):
        views[row.store_key or None] = {
            "status": part_status(order.status, row.status), "carrier": row.carrier,
            "trackingNumber": row.tracking_number, "shippedAt": isoformat(row.shipped_at) if row.shipped_at else None,
            "deliveredAt": isoformat(row.delivered_at) if row.delivered_at else None,
            "updatedAt": isoformat(row.updated_at)}
    return views


def default_view(order: Order) -> dict:
    """The fulfilment of a part nobody updated: the order's status decides (`part_status`)."""
    return {"status": part_status(order.status, None), "carrier": None, "trackingNumber": None,
            "shippedAt": None, "deliveredAt": None, "updatedAt": None}


def store_orders(store_id: str, status: str | None, page: int, limit: int) -> tuple[list[Order], int]:
    """The orders with lines of the store, newest first, optionally by order status; returns
    (orders, total). The caller checks who may see them (the store's staff, `orders:read`)."""
    order_ids = OrderItem.select(OrderItem.order).where(OrderItem.store_id == store_id)
    query = Order.select().where(Order.id.in_(order_ids))
    if status:
        query = query.where(Order.status == status)
    total = query.count()
    return list(query.order_by(Order.created_at.desc(), Order.id).paginate(page, limit)), total


def store_order_view(order: Order, store_id: str) -> dict:
    """An order as a store sees it: `{"id", "orderNumber", "status", "paymentStatus",
    "paymentMethod", "createdAt", "shippingAddress", "shippingMethod", "notes", "currency",
    "subtotal" (minor units: the store's lines), "lines": [{"itemId", "productId", "variantId",
    "name", "sku", "quantity", "unitPrice", "totalPrice"}], "fulfillment"}` - only the store's
    lines; the customer's e-mail, the other stores' lines and the order's payments are left out."""
    items = list(OrderItem.select().where(OrderItem.order == order.id, OrderItem.store_id == store_id)
                 .order_by(OrderItem.id))
    fulfillment = fulfillment_views(order).get(store_id) or default_view(order)
    return {
        "id": order.id, "orderNumber": order.order_number, "status": order.status,
        "paymentStatus": order.payment_status, "paymentMethod": order.payment_method,
        "createdAt": isoformat(order.created_at), "shippingAddress": order.shipping_address,
        "shippingMethod": order.shipping_method, "notes": order.notes, "currency": order.currency,
        "subtotal": sum(item.total_price for item in items),
        "lines": [{"itemId": item.id, "productId": item.product_id, "variantId": item.variant_id,
                   "name": (item.product_snapshot or {}).get("name"),
                   "sku": ((item.product_snapshot or {}).get("variant") or {}).get("sku"),
                   "quantity": item.quantity, "unitPrice": item.unit_price, "totalPrice": item.total_price}
                  for item in items],
        "fulfillment": fulfillment,
    }
