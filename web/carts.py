"""Cart (seed 004 section 2): create, get, add item, update quantity, remove item, clear; and
`GET /cart` (seeds 001-003): the signed-in customer's own cart (200), created empty when they
have none (201), so an app on another device finds the same cart."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders
from services.errors import NotFound
from web.customizations import CHOSEN, ChosenCustomizationSchema, LineCustomizationSchema
from web.promos import CodeSummarySchema
from services.catalog import MAX_PIECE_GRAMS
from web.schemas import CamelSchema, MessageSchema, ShopCurrency, StrictInteger, TotalsSchema, WeightLineSchema, ok
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_user

blp = Blueprint("carts", __name__, url_prefix="/api/v1/cart", description="Carts (guest or customer)")

QUANTITY = dict(required=True, validate=validate.Range(min=1, max=1_000_000),
                metadata={"description": "whole number >= 1 (at most MAX_ITEM_QUANTITY per line); pieces for a "
                                         "variant sold by weight"})
WEIGHT = dict(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_PIECE_GRAMS),
              metadata={"description": "grams per piece, only for a variant sold by weight: a multiple of its "
                                       "weightStepGrams, at least its minWeightGrams (default: the minimum); a "
                                       "unit variant refuses it (422 weight_not_applicable)"})


class CartCreateSchema(CamelSchema):
    customer_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    currency = ShopCurrency(load_default=None, allow_none=True)


class CartItemCreateSchema(CamelSchema):
    product_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    variant_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    quantity = StrictInteger(**QUANTITY)
    customizations = ma.fields.List(ma.fields.Nested(ChosenCustomizationSchema), **CHOSEN)
    weight = StrictInteger(**WEIGHT)
    source_video_id = ma.fields.String(load_default=None, validate=validate.Regexp(r"^vid_[A-Za-z0-9]{1,36}$"),
                                       metadata={"description": "the shoppable video the customer added it from: a "
                                                                "published video showing the product (else 422 "
                                                                "invalid_source_video); copied to the order line"})


class CartItemUpdateSchema(CamelSchema):
    quantity = StrictInteger(**QUANTITY)
    weight = StrictInteger(**dict(WEIGHT, metadata={"description": "grams per piece of a weight line (null: "
                                                                   "keep it); a unit line refuses it"}))


class CartItemProductSchema(ma.Schema):
    name = ma.fields.String()
    image = ma.fields.String(allow_none=True)
    slug = ma.fields.String()


class CartItemVariantSchema(ma.Schema):
    name = ma.fields.String()
    sku = ma.fields.String(allow_none=True)
    available = ma.fields.Boolean()
    inventoryCount = ma.fields.Integer(metadata={"description": "available units (grams when sold by weight)"})


class CartItemSchema(WeightLineSchema):
    id = ma.fields.String()
    productId = ma.fields.String()
    storeId = ma.fields.String(allow_none=True, metadata={"description": "the product's store; null: the shop"})
    variantId = ma.fields.String()
    quantity = ma.fields.Integer()
    unitPrice = ma.fields.Integer(metadata={"description": "minor units: the variant's price (a wholesale "
                                                          "customer's: its wholesale price) plus the customizations'"})
    totalPrice = ma.fields.Integer(metadata={"description": "minor units"})
    customizations = ma.fields.List(ma.fields.Nested(LineCustomizationSchema))
    sourceVideoId = ma.fields.String(allow_none=True, metadata={"description": "the video it was added from"})
    product = ma.fields.Nested(CartItemProductSchema)
    variant = ma.fields.Nested(CartItemVariantSchema)


class CartSchema(TotalsSchema):
    """The cart; money fields are integer minor units of `currency`."""

    id = ma.fields.String()
    customerId = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(CartItemSchema))
    shippingDiscount = ma.fields.Integer(metadata={"description": "minor units waived by a free-shipping code"})
    itemCount = ma.fields.Integer()
    status = ma.fields.String()
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()
    expiresAt = ma.fields.String()


class CartEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CartSchema)
    message = ma.fields.String()


class PromoCodeArgsSchema(CamelSchema):
    cart_id = ma.fields.String(validate=validate.Length(min=1, max=40),
                               metadata={"description": "default: the signed-in customer's cart (GET /cart)"})


class ApplyPromoSchema(PromoCodeArgsSchema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))


class AppliedDiscountSchema(CodeSummarySchema):
    """A promotion code put on a cart (seed 004 `POST /checkout/discount`); money in minor units."""

    discountAmount = ma.fields.Integer(metadata={"description": "goods discount plus shipping waived"})
    cart = ma.fields.Nested(CartSchema)


class AppliedDiscountEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(AppliedDiscountSchema)
    message = ma.fields.String()


def promo_cart(cart_id: str | None):
    """The cart a promo route acts on: `cart_id`'s, else the signed-in customer's own (a guest has
    no cart of their own: 404 `cart_not_found`, so a guest names the cart)."""
    user = current_user()
    if cart_id:
        return orders.get_cart(cart_id, user)
    if user is None:
        raise NotFound("A guest names the cart (cartId)", reason="cart_not_found")
    return orders.my_cart(user)[0]


@blp.route("")
class Carts(MethodView):
    @blp.response(200, CartEnvelopeSchema, description="Your active cart")
    @blp.alt_response(201, schema=CartEnvelopeSchema, description="You had none: a new empty cart")
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def get(self):
        """Get my cart: my newest active cart, or a new empty one when I have none (signed in)."""
        cart, created = orders.my_cart(require_user())
        return ok(orders.cart_view(cart), 201 if created else 200)

    @blp.arguments(CartCreateSchema, required=False)  # no body: a cart in the shop currency
    @blp.response(201, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body):
        """Create a cart (guest, or the authenticated customer's)."""
        cart = orders.create_cart(current_user(), body["currency"], body["customer_id"])
        return ok(orders.cart_view(cart, lines=[]), 201)  # new: no lines to read


@blp.route("/<id(cart):cart_id>")
class CartById(MethodView):
    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, cart_id):
        """Get a cart with current prices, stock and totals."""
        return ok(orders.cart_view(orders.get_cart(cart_id, current_user())))

    @blp.response(200, MessageSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def delete(self, cart_id):
        """Clear a cart (remove every item)."""
        orders.clear_cart(orders.get_cart(cart_id, current_user()))
        return {"message": "Cart cleared successfully"}


@blp.route("/<id(cart):cart_id>/items")
class CartItems(MethodView):
    @blp.arguments(CartItemCreateSchema)
    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body, cart_id):
        """Add an item (merges with the line of the same variant, weight and customizations)."""
        cart = orders.get_cart(cart_id, current_user())
        orders.add_to_cart(cart, body["product_id"], body["variant_id"], body["quantity"], body["customizations"],
                           body["weight"], body["source_video_id"])
        return ok(orders.cart_view(cart), message="Item added to cart successfully")


@blp.route("/<id(cart):cart_id>/items/<id(item):item_id>")
class CartItemById(MethodView):
    @blp.arguments(CartItemUpdateSchema)
    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def put(self, body, cart_id, item_id):
        """Set an item's quantity, and a weight line's weight (its customizations stay)."""
        cart = orders.get_cart(cart_id, current_user())
        orders.update_cart_item(cart, item_id, body["quantity"], body["weight"])
        return ok(orders.cart_view(cart), message="Cart item updated successfully")

    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def delete(self, cart_id, item_id):
        """Remove an item."""
        cart = orders.get_cart(cart_id, current_user())
        orders.remove_cart_item(cart, item_id)
        return ok(orders.cart_view(cart), message="Item removed from cart successfully")


@blp.route("/apply-promo")
class ApplyPromo(MethodView):
    @blp.arguments(ApplyPromoSchema)
    @blp.response(200, AppliedDiscountEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body):
        """Apply a promo code to a cart (seed 001; errors as POST /checkout/discount)."""
        applied = orders.apply_code(promo_cart(body.get("cart_id")), body["code"], current_user())
        return ok(applied, message="Promo code applied successfully")


@blp.route("/remove-promo")
class RemovePromo(MethodView):
    @blp.arguments(PromoCodeArgsSchema, location="query")
    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def delete(self, args):
        """Remove the promo code from a cart (none on it: the cart unchanged)."""
        cart = orders.remove_code(promo_cart(args.get("cart_id")))
        return ok(orders.cart_view(cart), message="Promo code removed")
