"""Product search: `GET /products/search` (seed 004: the product list's shape) and
`GET /products/search/advanced` (seed 001: filters, sorts and facets).

Query parameters (flat names; multi-values comma-separated, OR-ed within one parameter and
AND-ed across):

- `q`: the text (<= 200 characters; required for `/products/search`). Full-text search with
  stemming and prefixes, name > tags > description, and a typo-tolerant retry when nothing
  matches (`fuzzy: true` in the advanced answer): services.catalog.search;
- `category` (slugs), `occasion`, `flowerType`, `color`, `milk`, `skinType`, `concern` (typed
  attribute values, lower case: services.catalog.product_attributes), `minPrice`/`maxPrice`
  (minor units), `availability` (`in-stock` | `out-of-stock`), `minRating` (1-5, average of
  approved reviews);
- `sort`: relevance (default) | price | newest | rating | popular, `sortOrder` asc | desc
  (default asc for price, desc for the others);
- `facets=true` (advanced only): `facets` with counts per value for every filter, each under
  the other filters (services.catalog.facets);
- `page`, `limit`, `fields` as the product list.

Both are public catalog reads through web.cache (the shared catalog cache, ETag / 304). Neither
records anything: a client saves a shopper's search with `POST /search/save` (web.search).
"""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from web.cache import cached_get
from web.products import LIST_FIELDS, PRICE, ProductSchema, product_to_dict
from web.response_fields import FieldSelection
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean, pagination
from web.security import OPTIONAL_BEARER_SECURITY

blp = Blueprint("product_search", __name__, url_prefix="/api/v1/products", description="Catalog: product search")

MAX_VALUES = 20  # values of one multi-valued parameter
VALUE_PATTERN = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
LIST_PATTERN = rf"^{VALUE_PATTERN}(?:,{VALUE_PATTERN}){{0,{MAX_VALUES - 1}}}$"
AVAILABILITY = {"in-stock": True, "out-of-stock": False}


class CommaSeparated(ma.fields.String):
    """A query parameter of comma-separated lower-case slugs (`birthday,anniversary`), loaded as
    a list without repeats; at most MAX_VALUES."""

    PATTERN = validate.Regexp(LIST_PATTERN, error=f"Comma-separated lower-case values (at most {MAX_VALUES})")

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": LIST_PATTERN, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = self.PATTERN(super()._deserialize(value, attr, data, **kwargs))
        return list(dict.fromkeys(text.split(",")))


def _attribute_fields() -> dict:
    return {name: CommaSeparated(metadata={"description": f"values of the typed attribute `{attribute}`"})
            for name, attribute in catalog.ATTRIBUTE_FACETS.items()}


class _SearchArgsBase(PaginationArgsSchema):
    selected_fields = LIST_FIELDS.query_field()
    q = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "search text"})
    category = CommaSeparated(metadata={"description": "category slugs (a product directly in one of them)"})
    min_price = ma.fields.Integer(validate=PRICE, metadata={"description": "minor units"})
    max_price = ma.fields.Integer(validate=PRICE, metadata={"description": "minor units"})
    availability = ma.fields.String(validate=validate.OneOf(tuple(AVAILABILITY)))
    min_rating = ma.fields.Float(validate=validate.Range(min=1, max=5),
                                 metadata={"description": "least average rating of approved reviews (1-5)"})
    sort = ma.fields.String(load_default="relevance", validate=validate.OneOf(catalog.SEARCH_SORTS))
    sort_order = ma.fields.String(validate=validate.OneOf(("asc", "desc")),
                                  metadata={"description": "default: asc for price, desc otherwise"})

    @ma.validates_schema
    def price_range_is_ordered(self, data, **kwargs):
        if data.get("min_price") is not None and data.get("max_price") is not None \
                and data["min_price"] > data["max_price"]:
            raise ma.ValidationError("minPrice must not exceed maxPrice", "minPrice")


SearchArgsBase = type(_SearchArgsBase)("SearchArgsBase", (_SearchArgsBase,), _attribute_fields())


class ProductSearchArgsSchema(SearchArgsBase):
    q = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "search text"})


class AdvancedSearchArgsSchema(SearchArgsBase):
    facets = QueryBoolean(load_default=False, metadata={"description": "add the facet counts"})


class FacetValueSchema(CamelSchema):
    """One value of a facet and how many products it would give under the other filters.
    `label`: category facet (the category name); `min`/`max`: price facet (minor units, `max`
    exclusive, null: open-ended) and rating facet (`min` stars, "& up")."""

    value = ma.fields.String()
    count = ma.fields.Integer()
    label = ma.fields.String()
    min = ma.fields.Integer()
    max = ma.fields.Integer(allow_none=True)


FacetsSchema = ma.Schema.from_dict({name: ma.fields.List(ma.fields.Nested(FacetValueSchema))
                                    for name in catalog.FACETS}, name="FacetsSchema")


class ProductSearchSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ProductSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class AdvancedSearchSchema(ProductSearchSchema):
    """The product list's shape, plus `fuzzy` (true: nothing matched `q` exactly and these are
    names similar to it) and, with `facets=true`, `facets` (facet name -> values by count)."""

    fuzzy = ma.fields.Boolean()
    facets = ma.fields.Nested(FacetsSchema)


def _filters(args: dict) -> catalog.SearchFilters:
    availability = args.get("availability")
    return catalog.SearchFilters(
        categories=tuple(args.get("category") or ()), min_price=args.get("min_price"),
        max_price=args.get("max_price"), in_stock=AVAILABILITY[availability] if availability else None,
        min_rating=args.get("min_rating"),
        attributes={name: args[name] for name in catalog.ATTRIBUTE_FACETS if args.get(name)})


def search_answer(args: dict, advanced: bool) -> dict:
    """The JSON body of a search: `{"data", "pagination"}` (+ `fuzzy`, and `facets` when asked, if
    `advanced`)."""
    fields = LIST_FIELDS.parse(args.get("selected_fields"))
    result = catalog.search_products(args.get("q"), _filters(args), sort=args["sort"],
                                     sort_order=args.get("sort_order"), page=args["page"], limit=args["limit"],
                                     with_facets=advanced and args.get("facets", False))
    body = {"data": [FieldSelection.apply(product_to_dict(v), fields) for v in result.views],
            "pagination": pagination(args["page"], args["limit"], result.total)}
    if advanced:
        body["fuzzy"] = result.fuzzy
        if result.facets is not None:
            body["facets"] = result.facets
    return body


@blp.route("/search")
class ProductSearch(MethodView):
    @blp.arguments(ProductSearchArgsSchema(), location="query")
    @blp.response(200, ProductSearchSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """Search products by text (the product list's shape and filters)."""
        return jsonify(search_answer(args, advanced=False))


@blp.route("/search/advanced")
class AdvancedProductSearch(MethodView):
    @blp.arguments(AdvancedSearchArgsSchema(), location="query")
    @blp.response(200, AdvancedSearchSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """Search products with filters, sorts and facet counts."""
        return jsonify(search_answer(args, advanced=True))
