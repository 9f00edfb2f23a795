"""Payments (seed 001 `/payments/*`): the order's PaymentIntent (`create-intent`), paying it
(`confirm`, the same `payment` job as seed 004's `POST /orders/{id}/payment`), and my saved
cards (`/payments/methods`: a SetupIntent, saving, listing, the default, deleting).

Everything that calls Stripe is a job (202, `Prefer: wait=N` for 200 with the result);
reading, choosing the default and deleting answer at once. The Stripe webhook is
`POST /api/v1/webhooks/stripe` (web.webhooks).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders, payments
from web.jobview import documents_job, submit
from web.orders import PaymentCreateSchema, start_payment_job
from web.schemas import CamelSchema, MessageSchema, StrictBoolean, ok
from web.security import BEARER_SECURITY, current_user, require_user

blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="Payments and saved cards")

ORDER_ID = validate.Regexp(r"^ord_[A-Za-z0-9]{1,60}$")


class IntentCreateSchema(CamelSchema):
    order_id = ma.fields.String(required=True, validate=ORDER_ID)


class PaymentConfirmSchema(PaymentCreateSchema):
    """Seed 001 "Confirm payment": Process Payment's fields (the method defaults to stripe) for `orderId`."""

    order_id = ma.fields.String(required=True, validate=ORDER_ID)
    payment_method = ma.fields.String(load_default="stripe", validate=validate.OneOf(orders.PAYMENT_METHODS))


class SavedMethodSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String()
    brand = ma.fields.String(allow_none=True)
    last4 = ma.fields.String(allow_none=True)
    expMonth = ma.fields.Integer(allow_none=True)
    expYear = ma.fields.Integer(allow_none=True)
    isDefault = ma.fields.Boolean()
    createdAt = ma.fields.DateTime()


class SavedMethodEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SavedMethodSchema)
    message = ma.fields.String()


class SavedMethodsEnvelopeSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SavedMethodSchema))


class SaveMethodSchema(CamelSchema):
    """Exactly one of `paymentMethodId` (a Stripe PaymentMethod) and `setupIntentId` (a SetupIntent
    from `POST /payments/methods/setup-intent`, confirmed with the card by the storefront)."""

    JSON_SCHEMA = {"oneOf": [{"required": ["paymentMethodId"]}, {"required": ["setupIntentId"]}]}

    payment_method_id = ma.fields.String(validate=validate.Regexp(r"^(pm|card|src)_[A-Za-z0-9_]{1,100}$"))
    setup_intent_id = ma.fields.String(validate=validate.Regexp(r"^seti_[A-Za-z0-9_]{1,100}$"))
    is_default = StrictBoolean(load_default=False, metadata={"description": "make it my default card"})

    @ma.validates_schema
    def one_source(self, data, **kwargs):
        if ("payment_method_id" in data) == ("setup_intent_id" in data):
            raise ma.ValidationError("Send exactly one of paymentMethodId and setupIntentId", "paymentMethodId")


@blp.route("/create-intent")
class CreateIntent(MethodView):
    @blp.arguments(IntentCreateSchema)
    @documents_job(blp, "PaymentIntent job accepted; its result has the clientSecret", secured=False)
    def post(self, body):
        """The order's Stripe PaymentIntent (created once) and its client secret, for Stripe.js."""
        user = current_user()
        order = orders.get_order(body["order_id"], user)
        return submit(lambda: orders.start_intent(order, user), guest_resource=order.id)


@blp.route("/confirm")
class ConfirmPayment(MethodView):
    @blp.arguments(PaymentConfirmSchema)
    @documents_job(blp, "Payment job accepted; poll Location", secured=False, charges=True)
    def post(self, body):
        """Pay an order with a card (a PaymentMethod or one of my saved cards): the payment job, as
        `POST /orders/{id}/payment`; with `Prefer: wait`, 402 when the card is declined."""
        user = current_user()
        order = orders.get_order(body["order_id"], user)
        return submit(lambda: start_payment_job(order, user, body), guest_resource=order.id, charges=True)


@blp.route("/methods")
class SavedMethods(MethodView):
    @blp.response(200, SavedMethodsEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """My saved cards, the default first."""
        return ok([payments.method_view(m) for m in payments.list_methods(require_user())])

    @blp.arguments(SaveMethodSchema)
    @documents_job(blp, "Save job accepted; its result is the saved card")
    def post(self, body):
        """Save a card to my payment methods (attached to my Stripe Customer)."""
        user = require_user()
        return submit(lambda: payments.start_save(user, body.get("payment_method_id"), body.get("setup_intent_id"),
                                                  body["is_default"]))


@blp.route("/methods/setup-intent")
class SetupIntent(MethodView):
    @documents_job(blp, "SetupIntent job accepted; its result has the clientSecret")
    def post(self):
        """A Stripe SetupIntent to save a card with (Stripe.js confirms it; then `POST /payments/methods`)."""
        user = require_user()
        return submit(lambda: payments.start_setup(user), body={})


@blp.route("/methods/<id(spm):method_id>")
class SavedMethod(MethodView):
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, method_id):
        """Delete one of my saved cards (detached at Stripe by a job; my newest other card becomes the
        default if it was)."""
        payments.delete_method(require_user(), method_id)
        return {"message": "Payment method deleted"}


@blp.route("/methods/<id(spm):method_id>/default")
class SavedMethodDefault(MethodView):
    @blp.response(200, SavedMethodEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, method_id):
        """Make one of my saved cards the default."""
        return ok(payments.method_view(payments.set_default(require_user(), method_id)), message="Default card set")
