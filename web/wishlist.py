"""Wishlist (seed 001): list with product data, add, remove, atomic move to cart, bulk jobs,
and revocable share links. Every route but the shared view needs a signed-in customer;
someone else's item ids answer 404."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers, orders
from services.customers import MAX_BULK_ITEMS, WishlistEntry
from web.carts import CartEnvelopeSchema
from web.jobview import documents_job, submit
from web.products import ProductSchema, product_to_dict
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, StrictInteger, camelcase,
                         ok, pagination)
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("wishlist", __name__, url_prefix="/api/v1/wishlist",
                description="Wishlist: items, move to cart, bulk jobs, share links")

ID = validate.Length(min=1, max=40)
PRODUCT_IDS = dict(required=True, validate=validate.Length(min=1, max=MAX_BULK_ITEMS),
                   metadata={"description": f"1 to {MAX_BULK_ITEMS} product ids; duplicates are dropped"})


def entry_to_dict(entry: WishlistEntry) -> dict:
    """A wishlist item with its product (seed 004 product list shape)."""
    return dict(customers.wishlist_entry_view(entry), product=product_to_dict(entry.view))


# --------------------------------------------------------------------------- schemas

class WishlistItemCreateSchema(CamelSchema):
    product_id = ma.fields.String(required=True, validate=ID)


class MoveToCartSchema(CamelSchema):
    cart_id = ma.fields.String(load_default=None, allow_none=True, validate=ID,
                               metadata={"description": "default: the caller's current cart (created if none)"})
    variant_id = ma.fields.String(load_default=None, allow_none=True, validate=ID,
                                  metadata={"description": "default: the product's first variant"})
    quantity = StrictInteger(load_default=1, validate=validate.Range(min=1, max=1_000_000))


class BulkOptionsSchema(CamelSchema):
    """Options of a bulk operation (move-to-cart uses them)."""

    quantity = StrictInteger(validate=validate.Range(min=1, max=1_000_000),
                             metadata={"description": "units of each product to put in the cart (default 1)"})
    cart_id = ma.fields.String(allow_none=True, validate=ID,
                               metadata={"description": "default: the caller's current cart (created if none)"})


class WishlistBulkSchema(CamelSchema):
    product_ids = ma.fields.List(ma.fields.String(validate=ID), **PRODUCT_IDS)
    options = ma.fields.Nested(BulkOptionsSchema, load_default=dict)


class WishlistBulkOperationSchema(WishlistBulkSchema):
    action = ma.fields.String(required=True, validate=validate.OneOf(customers.BULK_ACTIONS))


class WishlistItemSchema(ma.Schema):
    id = ma.fields.String()
    productId = ma.fields.String()
    addedAt = ma.fields.String()
    priceAtAdd = ma.fields.Integer(allow_none=True, metadata={"description": "minor units, when added"})
    priceDropped = ma.fields.Boolean()
    inStock = ma.fields.Boolean()
    product = ma.fields.Nested(ProductSchema)


class WishlistListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(WishlistItemSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class WishlistItemEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(WishlistItemSchema)
    message = ma.fields.String()


class ShareSchema(ma.Schema):
    token = ma.fields.String()
    url = ma.fields.String()
    createdAt = ma.fields.String()


class ShareEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ShareSchema)


class SharedOwnerSchema(ma.Schema):
    firstName = ma.fields.String()


class SharedWishlistSchema(ma.Schema):
    owner = ma.fields.Nested(SharedOwnerSchema)
    items = ma.fields.List(ma.fields.Nested(WishlistItemSchema))


class SharedWishlistEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SharedWishlistSchema)
    pagination = ma.fields.Nested(PaginationSchema)


# --------------------------------------------------------------------------- routes

@blp.route("")
class Wishlist(MethodView):
    @blp.response(200, WishlistListSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(PaginationArgsSchema, location="query")
    def get(self, args):
        """List my wishlist, newest first, with product data."""
        entries, total = customers.list_wishlist(require_user(), args["page"], args["limit"])
        return ok([entry_to_dict(e) for e in entries], pagination=pagination(args["page"], args["limit"], total))

    @blp.response(201, WishlistItemEnvelopeSchema)
    @blp.alt_response(200, schema=WishlistItemEnvelopeSchema, description="Already on the wishlist")
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(WishlistItemCreateSchema)
    def post(self, body):
        """Add a product to my wishlist (adding it again returns the existing item)."""
        user = require_user()
        item, created = customers.add_to_wishlist(user, body["product_id"])
        return ok(entry_to_dict(customers.get_wishlist_entry(user, item.id)), 201 if created else 200,
                  message="Added to wishlist" if created else "Already on the wishlist")


@blp.route("/items/<id(wli):item_id>")
class WishlistItemById(MethodView):
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self, item_id):
        """Remove an item from my wishlist."""
        customers.remove_from_wishlist(require_user(), item_id)
        return {"message": "Removed from wishlist"}


@blp.route("/items/<id(wli):item_id>/move-to-cart")
class WishlistItemMove(MethodView):
    @blp.response(200, CartEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(MoveToCartSchema, required=False)  # no body: the defaults
    def post(self, body, item_id):
        """Move an item to my cart atomically (removed from the wishlist only if it is added, stock checked)."""
        cart = customers.move_to_cart(require_user(), item_id, body["cart_id"], body["variant_id"], body["quantity"])
        return ok(orders.cart_view(cart), message="Moved to cart")


def _bulk(action: str, body: dict):
    user = require_user()
    options = {camelcase(k): v for k, v in (body.get("options") or {}).items()}
    return submit(lambda: customers.start_wishlist_bulk(user, action, body["product_ids"], options))


BULK_DESCRIPTION = ("Bulk job accepted; poll Location. Its result: {operationId, action, "
                                  "successful: [productId], failed: [{id, reason}], progress}")


@blp.route("/bulk/add")
class WishlistBulkAdd(MethodView):
    @documents_job(blp, BULK_DESCRIPTION)
    @checked(require_user)
    @blp.arguments(WishlistBulkSchema)
    def post(self, body):
        """Add many products to my wishlist (bulk job with per-item outcomes)."""
        return _bulk("add", body)


@blp.route("/bulk/remove")
class WishlistBulkRemove(MethodView):
    @documents_job(blp, BULK_DESCRIPTION)
    @checked(require_user)
    @blp.arguments(WishlistBulkSchema)
    def delete(self, body):
        """Remove many products from my wishlist (bulk job with per-item outcomes)."""
        return _bulk("remove", body)


@blp.route("/bulk/move-to-cart")
class WishlistBulkMove(MethodView):
    @documents_job(blp, BULK_DESCRIPTION)
    @checked(require_user)
    @blp.arguments(WishlistBulkSchema)
    def post(self, body):
        """Move many products to my cart, each atomically (bulk job with per-item outcomes)."""
        return _bulk("move-to-cart", body)


@blp.route("/bulk/operations")
class WishlistBulkOperations(MethodView):
    @documents_job(blp, BULK_DESCRIPTION)
    @checked(require_user)
    @blp.arguments(WishlistBulkOperationSchema)
    def post(self, body):
        """Run a bulk wishlist operation: add, remove or move-to-cart (seed 001)."""
        return _bulk(body["action"], body)


@blp.route("/share")
class WishlistShare(MethodView):
    @blp.response(200, ShareEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def get(self):
        """Get my active share link (404 when there is none)."""
        return ok(customers.share_view(customers.get_share(require_user())))

    @blp.response(201, ShareEnvelopeSchema)
    @blp.alt_response(200, schema=ShareEnvelopeSchema, description="The existing active link")
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def post(self):
        """Create a share link for my wishlist (returns the active one if it exists)."""
        share, created = customers.create_share(require_user())
        return ok(customers.share_view(share), 201 if created else 200)

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self):
        """Revoke my share link: its token stops working at once."""
        customers.revoke_share(require_user())
        return {"message": "Share link revoked"}


@blp.route("/shared/<string:token>")
class SharedWishlist(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, SharedWishlistEnvelopeSchema)
    def get(self, args, token):
        """View a shared wishlist by its token (no sign-in; revoked or unknown tokens are 404)."""
        owner, entries, total = customers.shared_wishlist(token, args["page"], args["limit"])
        items = [{k: v for k, v in entry_to_dict(e).items() if k != "priceAtAdd"} for e in entries]
        return ok({"owner": {"firstName": owner.first_name or "A customer"}, "items": items},
                  pagination=pagination(args["page"], args["limit"], total))
