"""One-click checkout (seed 000 `oneClickCheckout`): my settings (`GET/PUT
/checkout/one-click/settings`: enabled, the saved card and address, and the security token the
`PUT` answers with, once) and the purchase (`POST /checkout/one-click`: a product or my cart,
bought with that card and address through the checkout job, which also charges the card).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders, payments
from web.jobview import documents_job, submit
from web.orders import with_saved_addresses
from web.payments import SavedMethodSchema
from web.request_info import client_ip
from web.carts import WEIGHT
from web.schemas import CamelSchema, StrictBoolean, StrictInteger, ok
from web.security import BEARER_SECURITY, require_user

blp = Blueprint("one_click", __name__, url_prefix="/api/v1/checkout", description="One-click checkout")


class OneClickSettingsSchema(ma.Schema):
    enabled = ma.fields.Boolean()
    paymentMethod = ma.fields.Nested(SavedMethodSchema, allow_none=True)
    addressId = ma.fields.String(allow_none=True)
    ready = ma.fields.Boolean(metadata={"description": "enabled, with a saved card and address"})
    securityToken = ma.fields.String(allow_none=True, metadata={
        "description": "only in the PUT answer: present it to buy in one click (shown once)"})


class OneClickSettingsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(OneClickSettingsSchema)
    message = ma.fields.String()


class OneClickSettingsUpdateSchema(CamelSchema):
    enabled = StrictBoolean(required=True)
    payment_method_id = ma.fields.String(load_default=None, allow_none=True,
                                         validate=validate.Regexp(r"^spm_[A-Za-z0-9]{1,60}$"),
                                         metadata={"description": "a saved card (default: my default card)"})
    address_id = ma.fields.String(load_default=None, allow_none=True,
                                  validate=validate.Regexp(r"^adr_[A-Za-z0-9]{1,60}$"),
                                  metadata={"description": "a saved address (default: my default address)"})


class OneClickPurchaseSchema(CamelSchema):
    """Exactly one of `cartId` (my cart) and `productId` (+ `variantId`, `quantity`)."""

    JSON_SCHEMA = {"oneOf": [{"required": ["cartId"]}, {"required": ["productId"]}]}

    security_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    cart_id = ma.fields.String(validate=validate.Regexp(r"^cart_[A-Za-z0-9]{1,60}$"))
    product_id = ma.fields.String(validate=validate.Length(min=1, max=100))
    variant_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    quantity = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=99))
    weight = StrictInteger(**WEIGHT)
    shipping_method = ma.fields.String(load_default="standard",
                                       validate=validate.OneOf(("standard", "express", "same_day")))
    notes = ma.fields.String(load_default="", validate=validate.Length(max=1000))

    @ma.validates_schema
    def one_item(self, data, **kwargs):
        if ("cart_id" in data) == ("product_id" in data):
            raise ma.ValidationError("Send exactly one of cartId and productId", "productId")


@blp.route("/one-click/settings")
class OneClickSettings(MethodView):
    @blp.response(200, OneClickSettingsEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """My one-click checkout settings (never the token)."""
        return ok(payments.one_click_view(require_user()))

    @blp.arguments(OneClickSettingsUpdateSchema)
    @blp.response(200, OneClickSettingsEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body):
        """Turn one-click checkout on (with a card and address) or off; answers a new security token."""
        view, token = payments.configure_one_click(require_user(), body["enabled"], body["payment_method_id"],
                                                   body["address_id"])
        return ok(dict(view, securityToken=token), message="One-click checkout updated")


@blp.route("/one-click")
class OneClickPurchase(MethodView):
    @blp.arguments(OneClickPurchaseSchema)
    @documents_job(blp, "Checkout job accepted; it places the order and charges the saved card", charges=True)
    def post(self, body):
        """Buy a product or my cart in one click with my one-click card and address; with
        `Prefer: wait`, 200 with the finished job or 402 when the card is declined."""
        user = require_user()
        target = payments.verify_one_click(user, body["security_token"])

        def create():
            address = with_saved_addresses(user, {"shipping_address_id": target.address_id})["shipping_address"]
            return orders.start_one_click(user, target.payment_method_id, address,
                                          dict(body, client_ip=client_ip()))

        return submit(create, body={k: v for k, v in body.items() if k != "security_token"}, charges=True)
