"""Orders: checkout (202 + job), read, list, staff status changes, Process Payment (202 + job)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.orders import ORDER_STATUSES
from services import customers, orders
from services.platform import events
from services.errors import AuthenticationFailed, ValidationFailed
from web import permissions
from web.customizations import LineCustomizationSchema
from web.disputes import DisputeSchema
from web.order_stores import OrderStoreSchema
from web.request_info import client_ip
from web.jobview import documents_job, submit
from web.schemas import (AddressSchema, CamelSchema, ErrorEnvelopeSchema, PaginationArgsSchema, PaginationSchema,
                         SameOrAddress, ShippingAddressSchema, StrictBoolean, TotalsSchema, WeightLineSchema, ok,
                         pagination)
from workers.dispatch import dispatch
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_staff, require_user

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Checkout and orders")



class OrderCreateSchema(CamelSchema):
    """Exactly one of `shippingAddress` and `shippingAddressId` (an address of the signed-in
    customer's address book); `billingAddressId` may replace `billingAddress`."""

    JSON_SCHEMA = {"allOf": [
        {"oneOf": [{"required": ["shippingAddress"], "not": {"required": ["shippingAddressId"]}},
                   {"required": ["shippingAddressId"], "not": {"required": ["shippingAddress"]}}]},
        {"not": {"required": ["billingAddress", "billingAddressId"]}}]}

    cart_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    customer_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                                   metadata={"description": "whose order it is: the caller, or (staff) any "
                                                            "customer; default the cart's customer, else the caller"})
    shipping_address = ma.fields.Nested(ShippingAddressSchema)
    shipping_address_id = ma.fields.String(validate=validate.Regexp(r"^adr_[A-Za-z0-9]{1,40}$"),
                                           metadata={"description": "a saved address (GET /users/addresses)"})
    billing_address = SameOrAddress(load_default="same")
    billing_address_id = ma.fields.String(validate=validate.Regexp(r"^adr_[A-Za-z0-9]{1,40}$"),
                                          metadata={"description": "a saved address, instead of billingAddress"})
    shipping_method = ma.fields.String(load_default="standard", validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,29}$"),
                                       metadata={"description": "a method of the address's shipping zone "
                                                                "(POST /checkout/shipping): standard, express, "
                                                                "same_day or the shop's own"})
    delivery_date = ma.fields.Date(load_default=None, allow_none=True,
                                   metadata={"description": "ISO date: the delivery day to book "
                                                            "(GET /shipping/delivery-dates); null: none"})
    payment_method = ma.fields.String(required=True, validate=validate.OneOf(orders.PAYMENT_METHODS), metadata={
        "description": "cash_on_delivery, stripe (a card; with walletAmount, partly from the wallet) or wallet "
                       "(the whole total from the signed-in customer's wallet in the cart's currency; a guest, or "
                       "an order for someone else, gets 422 wallet_requires_account; a short balance 409 "
                       "wallet_insufficient_funds)"})
    wallet_amount = ma.fields.Integer(load_default=None, allow_none=True, strict=True,
                                      validate=validate.Range(min=1, max=100_000_000), metadata={
        "description": "minor units paid from the signed-in customer's wallet with paymentMethod stripe; the card "
                       "pays the rest (must be below the total: 422 wallet_amount_too_large; with another method "
                       "422 wallet_amount_not_allowed; a short balance 409 wallet_insufficient_funds)"})
    notes = ma.fields.String(load_default="", validate=validate.Length(max=1000))

    @ma.validates_schema
    def one_shipping_address(self, data, **kwargs):
        if ("shipping_address" in data) == ("shipping_address_id" in data):
            raise ma.ValidationError("Send shippingAddress or shippingAddressId (one of them)", "shippingAddress")
        if "billing_address_id" in data and data.get("billing_address", "same") != "same":
            raise ma.ValidationError("Send billingAddress or billingAddressId, not both", "billingAddressId")


def with_saved_addresses(user, body: dict) -> dict:
    """`body` with `shipping_address_id` / `billing_address_id` replaced by those saved addresses of
    the signed-in `user` (services.customers.address_for_checkout). Raises AuthenticationFailed for a
    guest, NotFound (`address_not_found`) for an address that is not theirs, ValidationFailed for a
    saved address checkout cannot ship to (no first or last name)."""
    if "shipping_address_id" not in body and "billing_address_id" not in body:
        return body
    if user is None:
        raise AuthenticationFailed("Sign in to check out with a saved address", reason="authentication_required")
    body = dict(body)
    for id_key, address_key, schema, field in (
            ("shipping_address_id", "shipping_address", ShippingAddressSchema, "shippingAddressId"),
            ("billing_address_id", "billing_address", AddressSchema, "billingAddressId")):
        if id_key not in body:
            continue
        try:
            body[address_key] = schema().load(customers.address_for_checkout(user.id, body.pop(id_key)))
        except ma.ValidationError as exc:
            raise ValidationFailed("The saved address lacks what an order needs", reason="invalid_saved_address",
                                   details=[{"field": f"{field}.{k}", "message": "; ".join(map(str, v))}
                                            for k, v in exc.normalized_messages().items()]) from None
    return body


class OrderQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(ORDER_STATUSES))
    customerId = ma.fields.String(validate=validate.Regexp(r"^usr_[0-9A-Za-z]{1,40}$"), metadata={
        "description": "staff: one customer's orders (a customer may name only themself)"})


class OrderStatusUpdateSchema(CamelSchema):
    status = ma.fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    tracking_number = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    carrier = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                               metadata={"description": "who ships it (DHL, Aramex, courier...), on the timeline"})


class OrderCancelSchema(CamelSchema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))


class CourierAssignSchema(CamelSchema):
    courier_id = ma.fields.String(required=True, validate=validate.Regexp(r"^usr_[0-9A-Za-z]{1,40}$"))


class TrackingEventSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": "placed, confirmed, on_hold, packed, shipped, courier_assigned, "
                                                     "out_for_delivery, delivery_failed, delivered, cancelled, paid, "
                                                     "refunded, dispute_closed, fulfillment_updated"})
    label = ma.fields.String()
    at = ma.fields.String()
    actorRole = ma.fields.String(metadata={"description": "customer, staff, admin, courier or system"})
    actorId = ma.fields.String(allow_none=True, metadata={"description": "staff viewers only"})
    carrier = ma.fields.String()
    trackingNumber = ma.fields.String()
    reason = ma.fields.String(metadata={"description": "why (a cancellation, a failed delivery; `dispute` for a "
                                                       "dispute's hold)"})
    courierId = ma.fields.String()
    storeId = ma.fields.String(allow_none=True, metadata={"description": "fulfillment_updated: the store's part "
                                                                        "(null: the shop's own lines)"})
    status = ma.fields.String(metadata={"description": "fulfillment_updated: the part's new status"})
    disputeId = ma.fields.String(metadata={"description": "the dispute (`dsp_...`) of a hold or a closed dispute"})
    outcome = ma.fields.String(metadata={"description": "a closed dispute's Stripe status: won, lost, "
                                                        "warning_closed, charge_refunded"})


class TrackingDeliverySchema(ma.Schema):
    status = ma.fields.String()
    courierName = ma.fields.String()
    attempts = ma.fields.Integer()
    deliveredAt = ma.fields.String(allow_none=True)


class TrackingSchema(ma.Schema):
    orderId = ma.fields.String()
    orderNumber = ma.fields.String()
    status = ma.fields.String()
    paymentStatus = ma.fields.String()
    carrier = ma.fields.String(allow_none=True)
    trackingNumber = ma.fields.String(allow_none=True)
    estimatedDelivery = ma.fields.String(allow_none=True)
    delivery = ma.fields.Nested(TrackingDeliverySchema, allow_none=True)
    events = ma.fields.List(ma.fields.Nested(TrackingEventSchema))


class TrackingEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(TrackingSchema)


class PaymentCreateSchema(CamelSchema):
    """Seed 004 "Process Payment": a Stripe PaymentMethod (`paymentMethodId`, saved to my cards
    with `savePaymentMethod`) or one of my saved cards (`savedPaymentMethodId`), or cash on delivery."""

    payment_method = ma.fields.String(required=True, validate=validate.OneOf(orders.PAYMENT_METHODS))
    payment_method_id = ma.fields.String(load_default=None, allow_none=True,
                                         validate=validate.Regexp(r"^(pm|card|src)_[A-Za-z0-9_]{1,100}$"))
    saved_payment_method_id = ma.fields.String(load_default=None, allow_none=True,
                                               validate=validate.Regexp(r"^spm_[A-Za-z0-9]{1,60}$"))
    save_payment_method = StrictBoolean(load_default=False, metadata={
        "description": "save the card to my payment methods (signed-in customers)"})

    @ma.validates_schema
    def one_card(self, data, **kwargs):
        if data.get("payment_method_id") and data.get("saved_payment_method_id"):
            raise ma.ValidationError("Send paymentMethodId or savedPaymentMethodId, not both",
                                     "savedPaymentMethodId")


def start_payment_job(order, user, body: dict):
    """The `payment` job of a Process Payment `body` (PaymentCreateSchema, loaded) for `order`."""
    return orders.start_payment(order, user, body["payment_method"], body["payment_method_id"],
                                body.get("saved_payment_method_id"), body.get("save_payment_method", False))


class OrderItemSchema(WeightLineSchema):
    id = ma.fields.String()
    productId = ma.fields.String()
    variantId = ma.fields.String()
    storeId = ma.fields.String(allow_none=True, metadata={"description": "the store that sold it; null: the shop"})
    quantity = ma.fields.Integer()
    unitPrice = ma.fields.Integer(metadata={"description": "minor units, customizations included (one piece "
                                                          "of a weight line)"})
    totalPrice = ma.fields.Integer(metadata={"description": "minor units"})
    customizations = ma.fields.List(ma.fields.Nested(LineCustomizationSchema))
    product = ma.fields.Dict()
    variant = ma.fields.Dict()


class OrderPaymentSchema(ma.Schema):
    """One payment of an order (money in minor units)."""

    id = ma.fields.String()
    provider = ma.fields.String(metadata={"description": "stripe | cash_on_delivery"})
    status = ma.fields.String(metadata={"description": "pending, a Stripe PaymentIntent status, succeeded, failed, "
                                                       "canceled (voided) or refunded"})
    amount = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    paymentIntentId = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class OrderRefundSchema(ma.Schema):
    """Money given back on an order's payment: a cancelled order's captured payment, or a staff refund."""

    id = ma.fields.String(metadata={"description": "rfd_..."})
    paymentId = ma.fields.String()
    providerRefundId = ma.fields.String(allow_none=True, metadata={"description": "Stripe refund id, re_..."})
    amount = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending | requires_action | succeeded | failed | canceled"})
    reason = ma.fields.String(metadata={"description": "order_cancelled | payment_failed | fraud_blocked | "
                                                       "fraud_rejected | paid_after_cancel, or staff's words"})
    kind = ma.fields.String(metadata={"description": "cancellation | manual"})
    lines = ma.fields.List(ma.fields.Dict(), metadata={"description": "[{itemId, quantity}] refunded by line"})
    toWallet = ma.fields.Boolean(metadata={"description": "given back to the customer's wallet (providerRefundId "
                                                         "is then its ledger line, wtx_...)"})
    createdAt = ma.fields.String()


class RefundLineSchema(CamelSchema):
    item_id = ma.fields.String(required=True, validate=validate.Regexp(r"^oi_[0-9A-Za-z]{1,40}$"))
    quantity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))


class RefundCreateSchema(CamelSchema):
    amount = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=100_000_000),
                               metadata={"description": "minor units; leave out with lines, or for a full refund"})
    lines = ma.fields.List(ma.fields.Nested(RefundLineSchema), validate=validate.Length(min=1, max=200))
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class RefundCreatedSchema(ma.Schema):
    refund = ma.fields.Nested(OrderRefundSchema)
    jobId = ma.fields.String(allow_none=True, metadata={"description": "the Stripe refund's payment_refund job"})


class RefundCreatedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RefundCreatedSchema)
    message = ma.fields.String()


class OrderCashbackSchema(ma.Schema):
    """A delivered partner order's cashback into the buyer's wallet (minor units)."""

    amount = ma.fields.Integer(metadata={"description": "credited, or (pending) what delivery would credit"})
    currency = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending | credited | reversed (all asked back by refunds)"})
    reversedAmount = ma.fields.Integer(metadata={"description": "minor units taken back from the wallet so far"})


class ShipmentItemSchema(ma.Schema):
    variantId = ma.fields.String()
    quantity = ma.fields.Integer(metadata={"description": "units"})


class ShipmentSchema(ma.Schema):
    """Units of the order shipped from one warehouse (checkout's allocation)."""

    warehouseId = ma.fields.String()
    warehouseCode = ma.fields.String()
    warehouseName = ma.fields.String()
    estimatedDelivery = ma.fields.String(allow_none=True, metadata={"description": "ISO date"})
    items = ma.fields.List(ma.fields.Nested(ShipmentItemSchema))


class OrderSchema(TotalsSchema):
    """An order; money in integer minor units of `currency`."""

    id = ma.fields.String()
    orderNumber = ma.fields.String()
    status = ma.fields.String()
    paymentStatus = ma.fields.String()
    customerId = ma.fields.String(allow_none=True)
    customerEmail = ma.fields.String()
    cartId = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(OrderItemSchema))
    shippingAddress = ma.fields.Dict()
    billingAddress = ma.fields.Dict()
    shippingMethod = ma.fields.Dict()
    paymentMethod = ma.fields.String(metadata={"description": "cash_on_delivery | stripe | wallet"})
    walletAmount = ma.fields.Integer(metadata={"description": "minor units paid from the customer's wallet (the "
                                                             "total for wallet, a part for stripe, else 0)"})
    estimatedDelivery = ma.fields.String(allow_none=True, metadata={"description": "the latest shipment's"})
    deliveryDate = ma.fields.String(allow_none=True, metadata={"description": "ISO date: the delivery day booked"})
    shipments = ma.fields.List(ma.fields.Nested(ShipmentSchema), metadata={
        "description": "one per warehouse the order's units were allocated from"})
    stores = ma.fields.List(ma.fields.Nested(OrderStoreSchema), metadata={
        "description": "the lines grouped by the store that sold them (seed 002)"})
    trackingNumber = ma.fields.String(allow_none=True)
    notes = ma.fields.String()
    payments = ma.fields.List(ma.fields.Nested(OrderPaymentSchema))
    refunds = ma.fields.List(ma.fields.Nested(OrderRefundSchema))
    cashback = ma.fields.Nested(OrderCashbackSchema, allow_none=True, metadata={
        "description": "partner store cashback (seed 002): null when the order earns none"})
    disputes = ma.fields.List(ma.fields.Nested(DisputeSchema), metadata={
        "description": "GET /orders/{id} by staff (disputes:read) only: the order's Stripe disputes, oldest first"})
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class OrderEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(OrderSchema)
    message = ma.fields.String(metadata={"description": "what was done, on writes"})


class OrderListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(OrderSchema))
    pagination = ma.fields.Nested(PaginationSchema)


def _order_list(args: dict, customer_id: str | None):
    """A page of the caller's orders (staff: everyone's, or `customer_id`'s), paginated."""
    rows, total = orders.list_orders(require_user(), args.get("status"), args["page"], args["limit"],
                                     customer_id=customer_id)
    return ok([orders.order_view(o) for o in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("")
class Orders(MethodView):
    @blp.arguments(OrderCreateSchema)
    @documents_job(blp, "Checkout job accepted; poll Location", secured=False)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=f"{orders.NOT_SERVICEABLE}; "
                      "shipping_method_unavailable, unknown_shipping_method; delivery_date_* (off the calendar); "
                      "wallet_requires_account, wallet_amount_too_large, wallet_amount_not_allowed")
    def post(self, body):
        """Check out a cart: answers 202 with a checkout job that places the order."""
        user = current_user()
        body = with_saved_addresses(user, body)
        return submit(lambda: orders.start_checkout(user, {**body, "client_ip": client_ip()}),
                      guest_resource=body["cart_id"])

    @blp.arguments(OrderQueryArgsSchema, location="query")
    @blp.response(200, OrderListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my orders (staff: all orders, filterable by status)."""
        return _order_list(args, args.get("customerId"))


@blp.route("/user/<id(usr):user_id>")
class OrdersOfUser(MethodView):
    @blp.arguments(OrderQueryArgsSchema(exclude=("customerId",)), location="query")
    @blp.response(200, OrderListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args, user_id):
        """List one customer's orders, newest first (seed 000; staff, or the customer themself)."""
        return _order_list(args, user_id)


class OrderMessageSchema(CamelSchema):
    """A message from staff to the order's customer (seed 001 `POST /orders/{id}/notifications`)."""

    message = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    subject = ma.fields.String(validate=validate.Length(min=1, max=150),
                               metadata={"description": "default: About your order <number>"})


@blp.route("/<order:order_id>/notifications")
class OrderNotifications(MethodView):
    @checked(require_staff)
    @blp.arguments(OrderMessageSchema)
    @documents_job(blp, "The message's notification job (event_fanout: email, SMS, in-app by the customer's "
                        "preferences; a guest order: email); poll Location")
    def post(self, body, order_id):
        """Send the order's customer an update about their order (staff), through the notification system."""
        staff = require_staff()
        order = orders.get_order(order_id, staff)
        data = {"message": body["message"], "subject": body.get("subject"), "staffId": staff.id}
        return submit(lambda: events.emit("order.message", order.id, data))


@blp.route("/<order:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, order_id):
        """Get an order (a guest order by its id; a customer's by them or staff, who also see its disputes)."""
        user = current_user()
        view = orders.order_view(orders.get_order(order_id, user))
        if permissions.has_permission(user, "disputes:read"):
            view["disputes"] = orders.order_disputes(order_id)
        return ok(view)


@blp.route("/<order:order_id>/status")
class OrderStatus(MethodView):
    @checked(require_staff)
    @blp.arguments(OrderStatusUpdateSchema)
    @blp.response(200, OrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, order_id):
        """Change an order's status (staff)."""
        user = require_staff()
        order = orders.update_status(orders.get_order(order_id, user), body["status"], body["tracking_number"],
                                     actor=user, carrier=body["carrier"])
        return ok(orders.order_view(order), message="Order status updated")


@blp.route("/<order:order_id>/cancel")
class OrderCancel(MethodView):
    @blp.arguments(OrderCancelSchema, required=False)
    @blp.response(200, OrderEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def put(self, body, order_id):
        """Cancel my order before it ships: stock, promo use and payment given back, points reversed."""
        user = current_user()
        order = orders.cancel_by_customer(orders.get_order(order_id, user), user, (body or {}).get("reason"))
        return ok(orders.order_view(order), message="Order cancelled")


@blp.route("/<order:order_id>/tracking")
class OrderTracking(MethodView):
    @blp.response(200, TrackingEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, order_id):
        """The order's timeline: each step with its time and actor (live: GET /orders/{id}/events)."""
        user = current_user()
        return ok(orders.tracking_view(orders.get_order(order_id, user), user))


@blp.route("/<order:order_id>/courier")
class OrderCourier(MethodView):
    @checked(require_staff)
    @blp.arguments(CourierAssignSchema)
    @blp.response(200, OrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, order_id):
        """Give the order's delivery to a courier, or to another one (staff)."""
        user = require_staff()
        order = orders.get_order(order_id, user)
        orders.assign_courier(order, body["courier_id"], user)
        return ok(orders.order_view(order), message="Courier assigned")


@blp.route("/<order:order_id>/payment")
class OrderPayment(MethodView):
    @blp.arguments(PaymentCreateSchema)
    @documents_job(blp, "Payment job accepted; poll Location", secured=False, charges=True)
    def post(self, body, order_id):
        """Pay an order (a Stripe PaymentMethod, a saved card, or cash on delivery): answers 202 with a
        payment job; with `Prefer: wait`, 200 with the finished job or 402 when the card is declined."""
        user = current_user()
        order = orders.get_order(order_id, user)
        return submit(lambda: start_payment_job(order, user, body), guest_resource=order.id, charges=True)


@blp.route("/<order:order_id>/refunds")
class OrderRefunds(MethodView):
    @checked(require_staff)
    @blp.arguments(RefundCreateSchema, required=False)
    @blp.response(201, RefundCreatedEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, order_id):
        """Refund a paid order, fully or partly, by amount or by line (staff; card refunds run as a job)."""
        user = require_staff()
        order = orders.get_order(order_id, user)
        body = body or {}
        refund, job = orders.start_refund(order.id, user, body.get("amount"), body.get("lines"), body.get("reason", ""))
        if job is not None:
            dispatch(job)  # committed: send it now (the outbox relay would otherwise)
        return ok({"refund": orders.refund_view(refund), "jobId": job.id if job else None}, 201,
                  message="Refund requested" if job else "Refund recorded")
