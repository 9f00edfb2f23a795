"""Fulfilment grouped by store (seed 002's orders across stores; services.orders.store_fulfillment):

- `POST /api/v1/orders/{order_id}/fulfillments`: move one store's part of an order (`storeId`;
  null: the shop's own lines) to preparing, shipped or delivered, with carrier and tracking
  number; staff with `orders:manage` move any part, a store's staff their store's. The order
  follows its parts (all shipped: shipped; all delivered: delivered). Answers the order.
- `GET /api/v1/stores/{store_id}/orders`: the orders with the store's lines, newest first, each
  with only those lines, the shipping address and the part's fulfilment (the store's staff, or
  `orders:read`).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.orders import FULFILLMENT_STATUSES, ORDER_STATUSES
from services import content, orders
from web.order_stores import StoreFulfillmentSchema
from web.orders import OrderEnvelopeSchema
from web.permissions import has_permission
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("store_fulfillment", __name__, url_prefix="/api/v1", description="Fulfilment grouped by store")


class FulfillmentUpdateSchema(CamelSchema):
    store_id = ma.fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=40),
                                metadata={"description": "the store whose part moves (`store_...`); null: the "
                                                         "shop's own lines"})
    status = ma.fields.String(required=True, validate=validate.OneOf(
        [s for s in FULFILLMENT_STATUSES if s != "unfulfilled"]), metadata={"description": "forward only"})
    carrier = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    tracking_number = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class StoreOrderLineSchema(ma.Schema):
    itemId = ma.fields.String()
    productId = ma.fields.String()
    variantId = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    sku = ma.fields.String(allow_none=True)
    quantity = ma.fields.Integer()
    unitPrice = ma.fields.Integer(metadata={"description": "minor units"})
    totalPrice = ma.fields.Integer(metadata={"description": "minor units"})


class StoreOrderSchema(ma.Schema):
    """An order as one of its stores sees it: only that store's lines."""

    id = ma.fields.String()
    orderNumber = ma.fields.String()
    status = ma.fields.String(metadata={"description": "the order's"})
    paymentStatus = ma.fields.String()
    paymentMethod = ma.fields.String()
    createdAt = ma.fields.String()
    shippingAddress = ma.fields.Dict()
    shippingMethod = ma.fields.Dict()
    notes = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    subtotal = ma.fields.Integer(metadata={"description": "minor units: the store's lines"})
    lines = ma.fields.List(ma.fields.Nested(StoreOrderLineSchema))
    fulfillment = ma.fields.Nested(StoreFulfillmentSchema)


class StoreOrderListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(StoreOrderSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class StoreOrderArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(ORDER_STATUSES), metadata={"description": "the order's status"})


@blp.route("/orders/<order:order_id>/fulfillments")
class OrderFulfillments(MethodView):
    @checked(require_user)
    @blp.arguments(FulfillmentUpdateSchema)
    @blp.response(200, OrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, order_id):
        """Move one store's part of an order (orders:manage, or that store's staff)."""
        user = require_user()
        order = orders.update_store_fulfillment(order_id, body["store_id"], body["status"], user,
                                                manage_all=has_permission(user, "orders:manage"),
                                                carrier=body["carrier"], tracking_number=body["tracking_number"])
        return ok(orders.order_view(order), message="Fulfilment updated")


@blp.route("/stores/<store_ref:store_id>/orders")
class StoreOrders(MethodView):
    @checked(require_user)
    @blp.arguments(StoreOrderArgsSchema, location="query")
    @blp.response(200, StoreOrderListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args, store_id):
        """The orders with this store's lines, newest first (the store's staff, or orders:read)."""
        user = require_user()
        manage_all = has_permission(user, "orders:read")
        store = content.get_store(store_id, user, as_admin=manage_all)
        content.check_can_edit(store, user, manage_all)
        rows, total = orders.store_orders(store.id, args.get("status"), args["page"], args["limit"])
        return ok([orders.store_order_view(o, store.id) for o in rows],
                  pagination=pagination(args["page"], args["limit"], total))
