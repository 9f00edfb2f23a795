"""Reading orders: one order (visibility rules), a customer's or everyone's list, and the
seed-004 order object."""

from __future__ import annotations

import datetime as dt

from models.db import isoformat
from models.catalog import Warehouse
from models.orders import Order, OrderAllocation, OrderItem, Payment, Refund
from models.users import User
from services import content
from services.errors import NotAllowed, NotFound
from services.orders.cashback import cashback_view
from services.orders import store_order_reads
from services.orders.refunds import refund_view


def get_order(order_id: str, user: User | None) -> Order:
    """The order if visible: a guest order by id; a customer's by them and staff. Else NotFound."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or (order.customer_id and not (user and (user.id == order.customer_id or user.is_staff))):
        raise NotFound("Order not found", reason="order_not_found")
    return order


def list_orders(user: User, status: str | None, page: int, limit: int,
                customer_id: str | None = None) -> tuple[list[Order], int]:
    """The caller's orders (staff: everyone's, or one customer's with `customer_id`), newest
    first, optionally by status. Returns (orders, total). Raises NotAllowed (403
    `not_your_orders`) when a customer names another customer."""
    if customer_id and not user.is_staff and customer_id != user.id:
        raise NotAllowed("You can only list your own orders", reason="not_your_orders")
    query = Order.select()
    if not user.is_staff:
        query = query.where(Order.customer == user.id)
    elif customer_id:
        query = query.where(Order.customer == customer_id)
    if status:
        query = query.where(Order.status == status)
    total = query.count()
    return list(query.order_by(Order.created_at.desc(), Order.id).paginate(page, limit)), total


def payment_view(payment: Payment) -> dict:
    """A payment in the order view: `{"id": "pay_...", "provider" (stripe | cash_on_delivery),
    "status" (pending, a Stripe PaymentIntent status, succeeded, failed, canceled, refunded),
    "amount" (minor units), "currency", "paymentIntentId" (Stripe, else null), "createdAt",
    "updatedAt"}`. The client secret is never shown here."""
    return {"id": payment.id, "provider": payment.provider, "status": payment.status, "amount": payment.amount,
            "currency": payment.currency, "paymentIntentId": payment.provider_ref,
            "createdAt": isoformat(payment.created_at), "updatedAt": isoformat(payment.updated_at)}


def shipments_view(order_id: str) -> list[dict]:
    """The order's shipments, one per warehouse its units were allocated from (by priority):
    `[{"warehouseId", "warehouseCode", "warehouseName", "estimatedDelivery" (ISO date or null),
    "items": [{"variantId", "quantity"}]}]`; empty for orders placed before allocations."""
    shipments: dict[str, dict] = {}
    rows = (OrderAllocation.select(OrderAllocation, Warehouse).join(Warehouse)
            .where(OrderAllocation.order == order_id)
            .order_by(Warehouse.priority, Warehouse.code, OrderAllocation.variant_id))
    for row in rows:
        shipment = shipments.setdefault(row.warehouse_id, {
            "warehouseId": row.warehouse_id, "warehouseCode": row.warehouse.code, "warehouseName": row.warehouse.name,
            "estimatedDelivery": _date(row.estimated_delivery), "items": []})
        shipment["items"].append({"variantId": row.variant_id, "quantity": row.quantity})
    return list(shipments.values())


def _date(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def stores_view(items: list[OrderItem], order: Order) -> list[dict]:
    """The order's lines grouped by the store that sold them (seed 002: order items carry their
    store), in the order of their first line: `[{"storeId" (None: the shop's own products, and lines
    of orders placed before stores), "name", "deliveryTime", "subtotal" (minor units: the lines'
    totals), "lines": [{"itemId", "productId", "quantity", "totalPrice"}], "fulfillment"}]`. The store
    is the line's at checkout (`OrderItem.store_id`); its name and delivery time are the store's
    today; `fulfillment` is the part's (services.orders.store_order_reads)."""
    groups: dict = {}
    for item in items:
        group = groups.setdefault(item.store_id, {"storeId": item.store_id, "lines": [], "subtotal": 0})
        group["lines"].append({"itemId": item.id, "productId": item.product_id, "quantity": item.quantity,
                               "totalPrice": item.total_price})
        group["subtotal"] += item.total_price
    summaries = content.store_summaries([sid for sid in groups if sid])
    parts = store_order_reads.fulfillment_views(order)
    for store_id, group in groups.items():
        summary = summaries.get(store_id) or {}
        group["name"] = summary.get("name")
        group["deliveryTime"] = summary.get("deliveryTime")
        group["fulfillment"] = parts.get(store_id) or store_order_reads.default_view(order)
    return list(groups.values())


def order_view(order: Order, items: list[OrderItem] | None = None) -> dict:
    """The seed-004 order object (money in minor units of `currency`), plus, as in Saleor and
    Shopify, the order's `payments` (`payment_view`) and `refunds` (`refunds.refund_view`,
    oldest first). An item's `unitPrice` is what one unit cost at checkout, its
    `customizations` (`[{"code", "label", "value", "price"}]`, price per unit) included; a weight
    line's `quantity` is pieces of `weight` grams each at `pricePerKg` (both null for unit lines);
    `shipments` (`shipments_view`) tell where the units ship from; `deliveryDate` is the delivery
    day the customer booked (ISO date, null: none); an item's `storeId` is the store that sold it
    (null: the shop's own) and `stores` groups the lines by store (`stores_view`); `cashback` is the
    partner cashback the order earns (services.orders.cashback.cashback_view; null: none)."""
    if items is None:
        items = list(OrderItem.select().where(OrderItem.order == order.id).order_by(OrderItem.id))
    order_payments = list(Payment.select().where(Payment.order == order.id).order_by(Payment.created_at))
    order_refunds = list(Refund.select().where(Refund.order == order.id).order_by(Refund.created_at, Refund.id))
    return {
        "id": order.id, "orderNumber": order.order_number, "status": order.status,
        "paymentStatus": order.payment_status, "customerId": order.customer_id,
        "customerEmail": order.customer_email, "cartId": order.cart_id,
        "items": [{
            "id": item.id, "productId": item.product_id, "variantId": item.variant_id,
            "storeId": item.store_id,
            "quantity": item.quantity, "unitPrice": item.unit_price, "totalPrice": item.total_price,
            "customizations": item.customizations or [],
            "soldBy": "weight" if item.weight_grams else "unit", "weight": item.weight_grams,
            "pricePerKg": item.price_per_kg,
            "product": {k: item.product_snapshot.get(k) for k in ("name", "image", "slug")},
            "variant": {k: item.product_snapshot.get("variant", {}).get(k) for k in ("name", "sku")},
        } for item in items],
        "subtotal": order.subtotal, "tax": order.tax, "shipping": order.shipping, "discount": order.discount,
        "total": order.total, "currency": order.currency, "discountCode": order.discount_code,
        "shippingAddress": order.shipping_address, "billingAddress": order.billing_address,
        "shippingMethod": order.shipping_method, "paymentMethod": order.payment_method,
        "walletAmount": order.wallet_amount,
        "estimatedDelivery": _date(order.estimated_delivery), "deliveryDate": _date(order.delivery_date),
        "shipments": shipments_view(order.id), "stores": stores_view(items, order),
        "trackingNumber": order.tracking_number, "notes": order.notes,
        "payments": [payment_view(p) for p in order_payments],
        "refunds": [refund_view(r) for r in order_refunds],
        "cashback": cashback_view(order, items),
        "createdAt": isoformat(order.created_at), "updatedAt": isoformat(order.updated_at),
    }
