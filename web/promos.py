"""Promotion codes (seed 001 PromoCode, seed 003 Coupon, seed 004 discount codes).

Staff (`promotions:manage`):
- `POST /api/v1/promos` `{code, type, value, description?, minOrderAmount?, maxDiscount?,
  usageLimit?, perCustomerLimit?, validFrom?, validUntil?, applicableCategories?,
  applicableProducts?, customerId?, isActive?}` (201); `type` is percentage (`value` 1-100),
  fixed_amount (`value` minor units) or free_shipping (`value` 0); seed 001's `fixed` and
  `shipping` are accepted for the last two;
- `GET /api/v1/promos?active=&q=&page=&limit=`; `GET|PUT|DELETE /api/v1/promos/{promoId}`.

Customers and guests:
- `GET /api/v1/promos/validate/{code}?cartId=`: 200 `{valid: true, ...}` or the error the code
  would get (400, 410, 422: services.orders.promotions);
- `GET /api/v1/promos/user-eligible` (signed in): the codes the caller may use now.

Putting a code on a cart: `POST /api/v1/checkout/discount` (seed 004, web.checkout) and
`POST /api/v1/cart/apply-promo`, `DELETE /api/v1/cart/remove-promo` (seed 001, web.carts).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean,
                         StrictBoolean, StrictInteger, UtcDateTime, ok, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_staff, require_user

blp = Blueprint("promos", __name__, url_prefix="/api/v1/promos", description="Promotion codes")

CODE = [validate.Length(min=1, max=50), validate.Regexp(r"^[A-Za-z0-9_-]+$", error="letters, digits, - and _")]
TYPES = {"percentage": "percentage", "fixed_amount": "fixed_amount", "free_shipping": "free_shipping",
         "fixed": "fixed_amount", "shipping": "free_shipping"}
MONEY = dict(validate=validate.Range(min=0, max=100_000_000), metadata={"description": "minor units"})
COUNT = dict(allow_none=True, validate=validate.Range(min=1, max=100_000_000))
IDS = dict(validate=validate.Length(max=200))


class PromoUpdateSchema(CamelSchema):
    code = ma.fields.String(validate=CODE, metadata={"description": "stored upper-case"})
    type = ma.fields.String(validate=validate.OneOf(sorted(TYPES)),
                            metadata={"description": "percentage | fixed_amount | free_shipping (fixed, shipping)"})
    value = StrictInteger(validate=validate.Range(min=0, max=100_000_000),
                          metadata={"description": "percent (1-100), minor units (fixed_amount) or 0"})
    description = ma.fields.String(validate=validate.Length(max=500))
    min_order_amount = StrictInteger(**MONEY)
    max_discount = StrictInteger(allow_none=True, **MONEY)
    usage_limit = StrictInteger(**COUNT, metadata={"description": "uses overall; null: unlimited"})
    per_customer_limit = StrictInteger(**COUNT, metadata={"description": "uses per customer; null: unlimited"})
    valid_from = UtcDateTime(allow_none=True)
    valid_until = UtcDateTime(allow_none=True)
    applicable_categories = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)), **IDS)
    applicable_products = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)), **IDS)
    customer_id = ma.fields.String(allow_none=True, validate=validate.Length(min=1, max=40),
                                   metadata={"description": "a personal code: only this customer may use it"})
    is_active = StrictBoolean()


class PromoInputSchema(PromoUpdateSchema):
    code = ma.fields.String(required=True, validate=CODE, metadata={"description": "stored upper-case"})
    type = ma.fields.String(required=True, validate=validate.OneOf(sorted(TYPES)))
    value = StrictInteger(required=True, validate=validate.Range(min=0, max=100_000_000))


class CodeSummarySchema(ma.Schema):
    """What a customer sees of a promo code; money in minor units."""

    code = ma.fields.String()
    type = ma.fields.String(metadata={"description": "percentage | fixed_amount | free_shipping"})
    value = ma.fields.Integer(metadata={"description": "percent, minor units for fixed_amount, 0 for free_shipping"})
    description = ma.fields.String()
    minOrderAmount = ma.fields.Integer()
    maxDiscount = ma.fields.Integer(allow_none=True)
    validUntil = ma.fields.String(allow_none=True)


class PromoSchema(CodeSummarySchema):
    id = ma.fields.String()
    usageLimit = ma.fields.Integer(allow_none=True)
    perCustomerLimit = ma.fields.Integer(allow_none=True)
    usedCount = ma.fields.Integer()
    validFrom = ma.fields.String(allow_none=True)
    applicableCategories = ma.fields.List(ma.fields.String())
    applicableProducts = ma.fields.List(ma.fields.String())
    customerId = ma.fields.String(allow_none=True)
    isActive = ma.fields.Boolean()
    createdBy = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class PromoEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(PromoSchema)


class PromoListArgsSchema(PaginationArgsSchema):
    active = QueryBoolean()
    q = ma.fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "code prefix"})


class PromoListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(PromoSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class ValidationResultSchema(CodeSummarySchema):
    valid = ma.fields.Boolean()
    discountAmount = ma.fields.Integer(metadata={"description": "minor units, for the cart given"})


class ValidationEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ValidationResultSchema)


class ValidateArgsSchema(CamelSchema):
    cart_id = ma.fields.String(validate=validate.Length(min=1, max=40),
                               metadata={"description": "check against this cart too"})


class EligibleCodeSchema(CodeSummarySchema):
    usesLeft = ma.fields.Integer(allow_none=True, metadata={"description": "the caller's; null: unlimited"})


class EligibleListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(EligibleCodeSchema))


SERVICE_FIELDS = {"type": "kind", "min_order_amount": "minimum_amount", "max_discount": "maximum_discount",
                  "valid_from": "starts_at", "valid_until": "ends_at", "applicable_categories": "category_ids",
                  "applicable_products": "product_ids", "is_active": "active"}


def _fields(body: dict) -> dict:
    """The request body in services.orders.promotion_admin's names (type aliases resolved)."""
    data = {SERVICE_FIELDS.get(key, key): value for key, value in body.items()}
    if "kind" in data:
        data["kind"] = TYPES[data["kind"]]
    return data


@blp.route("")
class Promos(MethodView):
    @checked(require_staff)
    @blp.arguments(PromoListArgsSchema, location="query")
    @blp.response(200, PromoListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List promo codes, newest first (staff)."""
        codes, total = orders.list_promos(args.get("active"), args.get("q"), args["page"], args["limit"])
        return {"data": [orders.promo_view(c) for c in codes], "pagination": pagination(args["page"], args["limit"],
                                                                                          total)}

    @checked(require_staff)
    @blp.arguments(PromoInputSchema)
    @blp.response(201, PromoEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create a promo code (staff)."""
        return ok(orders.promo_view(orders.create_promo(_fields(body), current_user())), 201)


@blp.route("/<id(disc):promo_id>")
class PromoById(MethodView):
    @checked(require_staff)
    @blp.response(200, PromoEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, promo_id):
        """Get a promo code with its usage (staff)."""
        return ok(orders.promo_view(orders.get_promo(promo_id)))

    @checked(require_staff)
    @blp.arguments(PromoUpdateSchema)
    @blp.response(200, PromoEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, promo_id):
        """Change a promo code's fields (staff)."""
        return ok(orders.promo_view(orders.update_promo(promo_id, _fields(body))))

    @checked(require_staff)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, promo_id):
        """Delete a promo code no order used (staff; a used one: set isActive false)."""
        orders.delete_promo(promo_id)
        return {"message": "Promo code deleted"}


@blp.route("/validate/<string(maxlength=50):code>")
class PromoValidate(MethodView):
    @blp.arguments(ValidateArgsSchema, location="query")
    @blp.response(200, ValidationEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args, code):
        """Check a promo code (for the caller, and a cart when `cartId` is given)."""
        user = current_user()
        cart = orders.get_cart(args["cart_id"], user) if args.get("cart_id") else None
        return ok(orders.validate_code(code, user, cart))


@blp.route("/user-eligible")
class PromosEligible(MethodView):
    @checked(require_user)
    @blp.response(200, EligibleListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """The promo codes the signed-in customer may use now."""
        return ok(orders.eligible_codes(current_user()))
