"""Products: the public catalog (list, read) and admin writes (create, update, archive).

Responses follow seed 004's product shape; money is integer minor units of
`currency`. Lists are built by hand from batch-loaded rows (a constant number
of queries per page) and returned as JSON directly: the schemas below document
them for OpenAPI, and a test keeps the two in step. Both reads go through web.cache (the
shared catalog cache, ETag / 304) and take `?fields=` (web.response_fields). Sub-resources of
a product have their own modules: web.product_stock, web.product_reviews,
web.product_recommendations and web.product_stock_updates.
"""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.catalog import PRODUCT_STATUSES
from models.db import isoformat
from services import catalog
from services.catalog import MAX_PRICE, ProductView
from services.errors import NotAllowed, NotFound
from web.cache import cached_get
from web.response_fields import FieldSelection
from web.routing import RESERVED_PRODUCT_WORDS
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean,
                         ShopCurrency, StrictBoolean, StrictInteger, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Catalog: products")

SEED_ATTRIBUTES = {"ingredients": "ingredients", "skin_types": "skinTypes", "concerns": "concerns",
                   "how_to_use": "howToUse"}
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens")
PRICE = validate.Range(min=0, max=MAX_PRICE)
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTP_URL = rf"^https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?(?:[/?#][^\s]*)?$"  # host names, IPv4
NOT_RESERVED = validate.NoneOf(sorted(RESERVED_PRODUCT_WORDS),
                               error="Reserved for a fixed route under /products (e.g. search); choose another handle")


# --------------------------------------------------------------------------- serialization

def image_to_dict(image) -> dict:
    return {"id": image.id, "url": image.url, "altText": image.alt_text, "sortOrder": image.sort_order}


def variant_to_dict(variant, option_names: list, stock: int) -> dict:
    """A variant: prices in minor units, `inventoryCount` units on hand, `options` [{name, value}]."""
    return {"id": variant.id, "name": variant.name, "sku": variant.sku, "price": variant.price,
            "compareAtPrice": variant.compare_at_price, "inventoryCount": stock, "available": stock > 0,
            "weightGrams": variant.weight_grams,
            "options": [{"name": n, "value": v} for n, v in zip(option_names, variant.option_values or [])]}


def product_to_dict(view: ProductView, detail: bool = False) -> dict:
    """Seed 004's product; `detail` adds `attributes`, the seed's top-level ingredients,
    skinTypes, concerns, howToUse (when set) and `reviews`."""
    p = view.product
    options = p.options or []
    body = {
        "id": p.id, "name": p.name, "description": p.description, "price": p.price,
        "compareAtPrice": p.compare_at_price, "currency": p.currency,
        "images": [image_to_dict(i) for i in view.images],
        "variants": [variant_to_dict(v, options, view.stock.get(v.id, 0)) for v in view.variants],
        "category": view.category, "categoryId": p.category_id, "tags": p.tags or [], "status": p.status,
        "seoTitle": p.seo_title, "seoDescription": p.seo_description, "handle": p.handle,
        "vendor": p.vendor, "productType": p.product_type, "storeId": p.store_id,
        "createdAt": isoformat(p.created_at), "updatedAt": isoformat(p.updated_at),
    }
    if detail:
        attributes = p.attributes or {}
        body["attributes"] = attributes
        body.update({key: attributes[key] for key in SEED_ATTRIBUTES.values() if key in attributes})
        body["reviews"] = catalog.rating_summaries([p.id])[p.id]
    return body


def product_response(view: ProductView, status: int = 200, fields: dict | None = None):
    """`{"data": product detail}` as a JSON response (only the `fields` selection, plus `id`, when
    given: web.response_fields)."""
    response = jsonify({"data": FieldSelection.apply(product_to_dict(view, detail=True), fields)})
    response.status_code = status
    return response


# --------------------------------------------------------------------------- schemas (responses)

class ImageSchema(CamelSchema):
    id = ma.fields.String()
    url = ma.fields.String()
    alt_text = ma.fields.String()
    sort_order = ma.fields.Integer()


class OptionValueSchema(CamelSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))


class VariantSchema(CamelSchema):
    id = ma.fields.String()
    name = ma.fields.String()
    sku = ma.fields.String(allow_none=True)
    price = ma.fields.Integer(metadata={"description": "minor units"})
    compare_at_price = ma.fields.Integer(allow_none=True, metadata={"description": "minor units"})
    inventory_count = ma.fields.Integer(metadata={"description": "units on hand"})
    available = ma.fields.Boolean()
    weight_grams = ma.fields.Integer(allow_none=True)
    options = ma.fields.List(ma.fields.Nested(OptionValueSchema))


class ProductSchema(CamelSchema):
    """A product in lists (seed 004). `price`/`compareAtPrice` are the cheapest variant's."""

    id = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(metadata={"description": "HTML"})
    price = ma.fields.Integer(metadata={"description": "minor units"})
    compare_at_price = ma.fields.Integer(allow_none=True, metadata={"description": "minor units"})
    currency = ma.fields.String(metadata={"description": "ISO 4217"})
    images = ma.fields.List(ma.fields.Nested(ImageSchema))
    variants = ma.fields.List(ma.fields.Nested(VariantSchema))
    category = ma.fields.String(allow_none=True, metadata={"description": "category slug"})
    category_id = ma.fields.String(allow_none=True, metadata={"description": "category id (`cat_...`)"})
    tags = ma.fields.List(ma.fields.String())
    status = ma.fields.String(validate=validate.OneOf(PRODUCT_STATUSES))
    seo_title = ma.fields.String()
    seo_description = ma.fields.String()
    handle = ma.fields.String()
    vendor = ma.fields.String()
    product_type = ma.fields.String()
    store_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class ReviewSummarySchema(CamelSchema):
    """Average rating (1 decimal), review count and count per star ("1".."5")."""

    average_rating = ma.fields.Float(allow_none=True)
    total_reviews = ma.fields.Integer()
    distribution = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ProductDetailSchema(ProductSchema):
    """A product with its details: attributes (and the seed's skincare fields) and review summary."""

    attributes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    ingredients = ma.fields.List(ma.fields.String())
    skin_types = ma.fields.List(ma.fields.String())
    concerns = ma.fields.List(ma.fields.String())
    how_to_use = ma.fields.String()
    reviews = ma.fields.Nested(ReviewSummarySchema)


LIST_FIELDS = FieldSelection(ProductSchema())  # `?fields=` of the list: a list item's fields
DETAIL_FIELDS = FieldSelection(ProductDetailSchema())  # `?fields=` of one product


class ProductListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ProductSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class ProductEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ProductDetailSchema)


# --------------------------------------------------------------------------- schemas (requests)

class FieldsArgsSchema(CamelSchema):
    selected_fields = DETAIL_FIELDS.query_field()


class ProductQueryArgsSchema(PaginationArgsSchema):
    selected_fields = LIST_FIELDS.query_field()
    category = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "category slug"})
    min_price = ma.fields.Integer(validate=PRICE, metadata={"description": "minor units"})
    max_price = ma.fields.Integer(validate=PRICE, metadata={"description": "minor units"})
    search = ma.fields.String(validate=validate.Length(min=1, max=200))
    sort_by = ma.fields.String(load_default="createdAt",
                               validate=validate.OneOf(("price", "name", "createdAt", "created_at")))
    sort_order = ma.fields.String(validate=validate.OneOf(("asc", "desc")),
                                  metadata={"description": "default: asc for price and name, desc for createdAt"})
    in_stock = QueryBoolean()
    store_id = ma.fields.String(validate=validate.Length(min=1, max=40))
    status = ma.fields.String(validate=validate.OneOf(PRODUCT_STATUSES),
                              metadata={"description": "staff only; default active"})

    @ma.validates_schema
    def price_range_is_ordered(self, data, **kwargs):
        if data.get("min_price") is not None and data.get("max_price") is not None \
                and data["min_price"] > data["max_price"]:
            raise ma.ValidationError("minPrice must not exceed maxPrice", "minPrice")


class ImageInputSchema(CamelSchema):
    id = ma.fields.String(validate=validate.Length(max=40), metadata={"description": "keep an existing image"})
    url = ma.fields.String(required=True, validate=[validate.Length(max=1000),
                                                    validate.Regexp(HTTP_URL, error="Not a valid http(s) URL.")],
                           metadata={"pattern": HTTP_URL, "description": "http(s) URL of the image"})
    alt_text = ma.fields.String(load_default="", validate=validate.Length(max=500))
    sort_order = StrictInteger(validate=validate.Range(min=0, max=10_000))


class VariantCreateSchema(CamelSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=255))
    sku = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    price = StrictInteger(required=True, validate=PRICE, metadata={"description": "minor units"})
    compare_at_price = StrictInteger(allow_none=True, validate=PRICE, metadata={"description": "minor units"})
    inventory_count = StrictInteger(validate=validate.Range(min=0, max=MAX_PRICE),
                                    metadata={"description": "units on hand (default 0)"})
    weight_grams = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=10_000_000))
    requires_shipping = StrictBoolean()
    options = ma.fields.List(ma.fields.Nested(OptionValueSchema), validate=validate.Length(max=3))


class VariantUpdateSchema(VariantCreateSchema):
    id = ma.fields.String(validate=validate.Length(max=40), metadata={"description": "update this variant"})
    price = StrictInteger(validate=PRICE, metadata={"description": "minor units; required for new variants"})


class ProductCreateSchema(CamelSchema):
    """A new product (seed 004 shape). `price` is not set directly: it mirrors the cheapest variant.
    The category is given by slug (`category`) or by id (`categoryId`), not both."""

    JSON_SCHEMA = {"not": {"required": ["category", "categoryId"]}}

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = ma.fields.String(validate=validate.Length(max=100_000))
    handle = ma.fields.String(validate=[validate.Length(min=1, max=255), SLUG, NOT_RESERVED])
    category = ma.fields.String(allow_none=True, validate=[validate.Length(min=1, max=200), SLUG],
                                metadata={"description": "category slug (created on first use); or give categoryId"})
    category_id = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^cat_[0-9A-Za-z]{1,40}$"),
                                   metadata={"description": "an existing category's id; or give category"})
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50))
    status = ma.fields.String(validate=validate.OneOf(PRODUCT_STATUSES))
    seo_title = ma.fields.String(validate=validate.Length(max=255))
    seo_description = ma.fields.String(validate=validate.Length(max=5000))
    vendor = ma.fields.String(validate=validate.Length(max=255))
    product_type = ma.fields.String(validate=validate.Length(max=255))
    store_id = ma.fields.String(allow_none=True, validate=validate.Length(max=40))
    currency = ShopCurrency()
    attributes = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=100)), values=ma.fields.Raw())
    ingredients = ma.fields.List(ma.fields.String(validate=validate.Length(max=200)))
    skin_types = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))
    concerns = ma.fields.List(ma.fields.String(validate=validate.Length(max=100)))
    how_to_use = ma.fields.String(validate=validate.Length(max=5000))
    images = ma.fields.List(ma.fields.Nested(ImageInputSchema), validate=validate.Length(max=50))
    variants = ma.fields.List(ma.fields.Nested(VariantCreateSchema), required=True,
                              validate=validate.Length(min=1, max=100))

    @ma.validates_schema
    def one_category_reference(self, data, **kwargs):
        if "category" in data and "category_id" in data:
            raise ma.ValidationError("Give category or categoryId, not both", "categoryId")


class ProductUpdateSchema(ProductCreateSchema):
    """Changes to a product: only given fields change; `variants` and `images`, when given,
    are the complete new lists (entries matched by id, then SKU/URL; unlisted ones are removed)."""

    name = ma.fields.String(validate=validate.Length(min=1, max=255))
    variants = ma.fields.List(ma.fields.Nested(VariantUpdateSchema), validate=validate.Length(min=1, max=100))


def _service_data(args: dict) -> dict:
    """Request fields -> the catalog's write shape (seed skincare fields go into `attributes`)."""
    data = {k: v for k, v in args.items() if k not in SEED_ATTRIBUTES}
    seed = {SEED_ATTRIBUTES[k]: args[k] for k in SEED_ATTRIBUTES if k in args}
    if seed:
        data["attributes"] = {**(args.get("attributes") or {}), **seed}
    return data


# --------------------------------------------------------------------------- routes

def product_list_answer(args: dict, **filters):
    """The `{"data": [product], "pagination"}` answer of a product list: `args` are the parsed
    ProductQueryArgsSchema query (`fields` selection, `status`: anything but active is staff
    only, 403 `insufficient_role`), `filters` more `catalog.list_products` filters (e.g.
    `category_ids`)."""
    fields = LIST_FIELDS.parse(args.pop("selected_fields", None))
    status = args.pop("status", None)
    staff = False
    if status and status != "active":
        user = current_user()
        if not (user and user.is_staff):
            raise NotAllowed("Only staff may list draft or archived products", reason="insufficient_role")
        staff = True
    views, total = catalog.list_products(include_inactive=staff, status=status, **filters, **args)
    return jsonify({"data": [FieldSelection.apply(product_to_dict(v), fields) for v in views],
                    "pagination": pagination(args["page"], args["limit"], total)})


@blp.route("")
class Products(MethodView):
    @blp.arguments(ProductQueryArgsSchema(), location="query")
    @blp.response(200, ProductListSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """List products with filters, sorting and pagination."""
        return product_list_answer(args)

    @blp.response(201, ProductEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(ProductCreateSchema)
    def post(self, args):
        """Create a product with its variants, images and stock (admin)."""
        product = catalog.create_product(_service_data(args))
        response = product_response(catalog.product_view(catalog.get_product(product.id, True)), 201)
        response.headers["Location"] = f"{blp.url_prefix}/{product.id}"
        return response


@blp.route("/<product:product_id>")
class ProductById(MethodView):
    @blp.arguments(FieldsArgsSchema(), location="query")
    @blp.response(200, ProductEnvelopeSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args, product_id):
        """Get one product by id or handle, with details."""
        fields = DETAIL_FIELDS.parse(args.get("selected_fields"))
        product = catalog.get_product(product_id, include_inactive=True)
        if product.status != "active":
            user = current_user()
            if not (user and user.is_staff):
                raise NotFound("Product not found", reason="product_not_found")
        return product_response(catalog.product_view(product), fields=fields)

    @blp.response(200, ProductEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(ProductUpdateSchema)
    def put(self, args, product_id):
        """Update a product; given variant and image lists replace the old ones (admin)."""
        product = catalog.update_product(product_id, _service_data(args))
        return product_response(catalog.product_view(catalog.get_product(product.id, True)))

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    def delete(self, product_id):
        """Archive a product (soft delete: orders keep referring to it) (admin)."""
        product = catalog.archive_product(product_id)
        return jsonify({"message": f"Product {product.id} archived"})
