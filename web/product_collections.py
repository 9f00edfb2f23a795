"""Product collections (seed 001): `GET /api/v1/products/featured` and `/products/popular`.

Public, in the product list's shape (`{"data": [product], "pagination"}`, `?fields=`,
`page`/`limit`) and cached like it (web.cache). Featured: active products an admin marked
`isFeatured`, newest first. Popular: every active product, most units sold over the last 30 days
first (services.catalog.product_collections gives the exact rule), then by rating and newest.
`featured` and `popular` are reserved product handles, so these static paths never collide
with `/products/{id}` (the `<product:...>` converter refuses them).
"""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from services import catalog
from web.cache import cached_get
from web.products import LIST_FIELDS, ProductListSchema, product_to_dict
from web.response_fields import FieldSelection
from web.schemas import PaginationArgsSchema, pagination
from web.security import OPTIONAL_BEARER_SECURITY

blp = Blueprint("product_collections", __name__, url_prefix="/api/v1/products",
                description="Catalog: featured and popular products")


class CollectionArgsSchema(PaginationArgsSchema):
    """Pagination and the list's `fields` selection."""

    selected_fields = LIST_FIELDS.query_field()


def _answer(args: dict, read) -> object:
    fields = LIST_FIELDS.parse(args.get("selected_fields"))
    views, total = read(page=args["page"], limit=args["limit"])
    return jsonify({"data": [FieldSelection.apply(product_to_dict(v), fields) for v in views],
                    "pagination": pagination(args["page"], args["limit"], total)})


@blp.route("/featured")
class FeaturedProducts(MethodView):
    @blp.arguments(CollectionArgsSchema(), location="query")
    @blp.response(200, ProductListSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """Featured products (active, isFeatured), newest first."""
        return _answer(args, catalog.featured_products)


@blp.route("/popular")
class PopularProducts(MethodView):
    @blp.arguments(CollectionArgsSchema(), location="query")
    @blp.response(200, ProductListSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """Active products by units sold in the last 30 days (confirmed to delivered orders, payment
        not failed or refunded); ties by average rating, then newest; unsold products follow."""
        return _answer(args, catalog.popular_products)
