"""Checkout helpers: shipping methods for an address (seed 004 "Calculate Shipping": the address's
shipping zone's methods priced for the cart, 422 `address_not_serviceable` when no zone serves it;
services.orders.shipping) and putting a
discount code on the cart (seed 004 "Apply Discount Code": 400 invalid, 409 already applied, 422
minimum not met or nothing eligible, 410 expired or used up; services.orders.promotions)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders
from web.carts import AppliedDiscountEnvelopeSchema
from web.schemas import AddressSchema, CamelSchema, ErrorEnvelopeSchema, ok
from web.security import OPTIONAL_BEARER_SECURITY, current_user

blp = Blueprint("checkout", __name__, url_prefix="/api/v1/checkout", description="Checkout helpers")


class ShippingQuoteSchema(CamelSchema):
    cart_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    shipping_address = ma.fields.Nested(AddressSchema, required=True)


class ShippingMethodSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    price = ma.fields.Integer(metadata={"description": "minor units, for this cart (free threshold, weight rates)"})
    estimatedDays = ma.fields.String()
    isDefault = ma.fields.Boolean()
    available = ma.fields.Boolean(metadata={"description": "false: offered elsewhere in the country, or the cart "
                                                           "is too heavy for it"})


class ShippingMethodsSchema(ma.Schema):
    methods = ma.fields.List(ma.fields.Nested(ShippingMethodSchema))


class ShippingMethodsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ShippingMethodsSchema)


@blp.route("/shipping")
class ShippingQuote(MethodView):
    @blp.arguments(ShippingQuoteSchema)
    @blp.response(200, ShippingMethodsEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=orders.NOT_SERVICEABLE)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body):
        """List shipping methods and prices (for this cart's subtotal and weight) for a cart and address."""
        return ok({"methods": orders.quote_shipping(body["cart_id"], body["shipping_address"], current_user())})


class DiscountRequestSchema(CamelSchema):
    cart_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    discount_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))


@blp.route("/discount")
class ApplyDiscount(MethodView):
    @blp.arguments(DiscountRequestSchema)
    @blp.response(200, AppliedDiscountEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body):
        """Apply a discount code to a cart; the response carries the updated cart."""
        user = current_user()
        applied = orders.apply_code(orders.get_cart(body["cart_id"], user), body["discount_code"], user)
        return ok(applied, message="Discount applied successfully")
