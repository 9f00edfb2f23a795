"""Couriers' deliveries (seed 003 livreur, seed 001 `PUT /orders/{id}/delivery`), `deliveries:work`
(couriers, staff and admins):

- `GET /api/v1/deliveries?status=&page=&limit=`: a courier's own deliveries (staff: everyone's,
  `courierId=` for one courier), open ones first;
- `PUT /api/v1/orders/{orderId}/delivery` `{status: out_for_delivery | delivered | failed,
  deliveredAt?, reason? (failed), cashCollected? (cash on delivery)}`: move a delivery along
  (services.orders.deliveries); another courier's delivery is 404;
- `POST /api/v1/orders/{orderId}/delivery/proof` (multipart `photo`): the proof-of-delivery photo,
  while out for delivery or once delivered; `GET` the same path answers it to the order's
  customer, staff and its courier (services.orders.delivery_proofs).

Staff assign couriers with `PUT /api/v1/orders/{orderId}/courier` (web.orders).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.orders import DELIVERY_STATUSES
from services import orders
from web.schemas import (CamelSchema, PaginationArgsSchema, PaginationSchema, StrictBoolean, UtcDateTime, ok,
                         pagination)
from web.security import BEARER_SECURITY, checked, current_user, require_role, require_user
from web.uploads import media_response, uploaded_file

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1", description="Couriers' deliveries")


def require_delivery_role():
    """A courier, staff or an admin (401 / 403 otherwise)."""
    return require_role("courier", "staff", "admin")


class DeliveryListArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    courier_id = ma.fields.String(validate=validate.Regexp(r"^usr_[0-9A-Za-z]{1,40}$"),
                                  metadata={"description": "staff: one courier's"})


class DeliveryUpdateSchema(CamelSchema):
    status = ma.fields.String(required=True, validate=validate.OneOf(("out_for_delivery", "delivered", "failed")))
    delivered_at = UtcDateTime(load_default=None, allow_none=True, metadata={"description": "default: now"})
    reason = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500),
                              metadata={"description": "why the attempt failed (required for failed)"})
    cash_collected = StrictBoolean(load_default=None, allow_none=True,
                                   metadata={"description": "cash on delivery: the cash was collected"})


class DeliveryItemSchema(ma.Schema):
    name = ma.fields.String(allow_none=True)
    quantity = ma.fields.Integer()


class DeliverySchema(ma.Schema):
    orderId = ma.fields.String()
    orderNumber = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    failureReason = ma.fields.String(allow_none=True)
    deliveredAt = ma.fields.String(allow_none=True)
    cashToCollect = ma.fields.Integer(metadata={"description": "minor units; 0 when already paid"})
    cashCollected = ma.fields.Integer(allow_none=True, metadata={"description": "minor units"})
    currency = ma.fields.String()
    courierId = ma.fields.String()
    shippingAddress = ma.fields.Dict()
    estimatedDelivery = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(DeliveryItemSchema))
    assignedAt = ma.fields.String()
    updatedAt = ma.fields.String()
    proofPhotoUrl = ma.fields.String(allow_none=True, metadata={"description": "the proof-of-delivery photo"})


class DeliveryEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(DeliverySchema)
    message = ma.fields.String()


class DeliveryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(DeliverySchema))
    pagination = ma.fields.Nested(PaginationSchema)


@blp.route("/deliveries")
class Deliveries(MethodView):
    @checked(require_delivery_role)
    @blp.arguments(DeliveryListArgsSchema, location="query")
    @blp.response(200, DeliveryListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """My deliveries (a courier), or everyone's (staff)."""
        rows, total = orders.list_deliveries(current_user(), args.get("status"), args["page"], args["limit"],
                                             args.get("courier_id"))
        return {"data": [orders.delivery_view(d) for d in rows],
                "pagination": pagination(args["page"], args["limit"], total)}


@blp.route("/orders/<order:order_id>/delivery")
class OrderDeliveryUpdate(MethodView):
    @checked(require_delivery_role)
    @blp.arguments(DeliveryUpdateSchema)
    @blp.response(200, DeliveryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, order_id):
        """Out for delivery, delivered (collecting cash on delivery) or a failed attempt (the courier)."""
        delivery = orders.update_delivery(order_id, current_user(), body["status"], body["delivered_at"],
                                          body["reason"], body["cash_collected"])
        return ok(orders.delivery_view(delivery), message="Delivery updated")


class ProofFormSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                   "description": "JPEG, PNG, WebP or GIF, at most 10 MiB"})


PROOF_RESPONSES = {"200": {"description": "The proof photo", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in ("image/webp", "image/png")}}}


@blp.route("/orders/<order:order_id>/delivery/proof")
class DeliveryProof(MethodView):
    @checked(require_delivery_role)
    @blp.response(200, DeliveryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY, requestBody={
        "required": True, "content": {"multipart/form-data": {"schema": ProofFormSchema}}})
    def post(self, order_id):
        """Upload the proof-of-delivery photo (the courier, at the door; re-encoded, metadata removed)."""
        raw = uploaded_file("photo", orders.PROOF_MAX_BYTES)
        delivery = orders.store_proof(order_id, current_user(), raw)
        return ok(orders.delivery_view(delivery), message="Proof of delivery stored")

    @blp.doc(security=BEARER_SECURITY, responses=PROOF_RESPONSES)
    @blp.response(200, description="The proof photo", content_type="image/webp")
    def get(self, order_id):
        """The proof-of-delivery photo (the order's customer, staff and its courier)."""
        path, media_type = orders.proof_file(order_id, require_user())
        return media_response(path, media_type, "private, no-cache", max_age=0)
