"""The schemas of an order's store parts: its lines grouped by store, each part's fulfilment
(services.orders.store_order_reads), shared by the order views and the store fulfilment routes."""

from __future__ import annotations

import marshmallow as ma

from models.orders import FULFILLMENT_STATUSES

PART_STATUSES = " | ".join(FULFILLMENT_STATUSES + ("cancelled",))


class StoreFulfillmentSchema(ma.Schema):
    """One store's part of an order: how far it is."""

    status = ma.fields.String(metadata={"description": f"{PART_STATUSES} (forward only; the order's own status "
                                                       "carries every part: shipped, delivered, cancelled)"})
    carrier = ma.fields.String(allow_none=True)
    trackingNumber = ma.fields.String(allow_none=True)
    shippedAt = ma.fields.String(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    deliveredAt = ma.fields.String(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    updatedAt = ma.fields.String(allow_none=True, metadata={"description": "null: nobody updated the part yet"})


class OrderStoreLineSchema(ma.Schema):
    itemId = ma.fields.String()
    productId = ma.fields.String()
    quantity = ma.fields.Integer()
    totalPrice = ma.fields.Integer(metadata={"description": "minor units"})


class OrderStoreSchema(ma.Schema):
    """The order's lines of one store, and their fulfilment."""

    storeId = ma.fields.String(allow_none=True, metadata={"description": "null: the shop's own products"})
    name = ma.fields.String(allow_none=True)
    deliveryTime = ma.fields.String(allow_none=True)
    subtotal = ma.fields.Integer(metadata={"description": "minor units: the store's lines"})
    lines = ma.fields.List(ma.fields.Nested(OrderStoreLineSchema))
    fulfillment = ma.fields.Nested(StoreFulfillmentSchema)
