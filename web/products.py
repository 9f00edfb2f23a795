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

from models.catalog import PRODUCT_KINDS, PRODUCT_STATUSES, SOLD_BY
from models.db import isoformat
from services import catalog
from services.catalog import MAX_PRICE, ProductView
from services.catalog import product_attributes as typed
from services.errors import NotAllowed, NotFound
from web.cache import cached_get
from web.customizations import CUSTOMIZATIONS, CustomizationSchema
from web.response_fields import FieldSelection
from web.product_attribute_fields import attribute_fields, filter_query_fields, filters_from_args
from web.routing import RESERVED_PRODUCT_WORDS
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean,
                         ShopCurrency, StrictBoolean, StrictFloat, StrictInteger, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin
from web.slug_moved import or_moved

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Catalog: products")

TYPED_ATTRIBUTES = tuple(spec.name for spec in typed.SPECS)  # top-level request/response fields (camelCase)
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
    """A variant: prices in minor units (`wholesalePrice`: public, applied only in wholesale customers'
    carts, see services.catalog.price_list), `inventoryCount` available units (on hand minus reserved
    by carts), `options` [{name, value}]. A variant `soldBy` weight has its prices per kilogram,
    `inventoryCount` in grams (`available` while at least its minimum piece is left) and
    `weightStepGrams` / `minWeightGrams` (null for unit variants)."""
    return {"id": variant.id, "name": variant.name, "sku": variant.sku, "price": variant.price,
            "compareAtPrice": variant.compare_at_price, "inventoryCount": stock,
            "available": stock >= (variant.min_weight_grams or 1),
            "weightGrams": variant.weight_grams, "wholesalePrice": variant.wholesale_price,
            "soldBy": variant.sold_by, "weightStepGrams": variant.weight_step_grams,
            "minWeightGrams": variant.min_weight_grams,
            "options": [{"name": n, "value": v} for n, v in zip(option_names, variant.option_values or [])]}


def product_to_dict(view: ProductView, detail: bool = False) -> dict:
    """Seed 004's product with its `kind` and `isFeatured`; `detail` adds `attributes`, each set
    typed attribute again as a top-level field (ingredients, skinTypes, occasion,
    nutritionalInfo...: services.catalog.product_attributes) and `reviews`."""
    p = view.product
    options = p.options or []
    body = {
        "id": p.id, "name": p.name, "description": p.description, "price": p.price,
        "compareAtPrice": p.compare_at_price, "currency": p.currency,
        "images": [image_to_dict(i) for i in view.images],
        "variants": [variant_to_dict(v, options, view.stock.get(v.id, 0)) for v in view.variants],
        "category": view.category, "categoryId": p.category_id, "tags": p.tags or [], "status": p.status,
        "seoTitle": catalog.seo_title(p.name, p.seo_title),
        "seoDescription": catalog.seo_description(p.description, p.seo_description, fallback=p.name), "handle": p.handle,
        "vendor": p.vendor, "productType": p.product_type, "storeId": p.store_id,
        "kind": p.kind, "isFeatured": p.is_featured,
        "pricing": catalog.product_pricing(p.price, p.compare_at_price, view.variants),
        "createdAt": isoformat(p.created_at), "updatedAt": isoformat(p.updated_at),
    }
    if detail:
        attributes = p.attributes or {}
        body["attributes"] = attributes
        body.update({key: attributes[key] for key in TYPED_ATTRIBUTES if key in attributes})
        body["reviews"] = catalog.rating_summaries([p.id])[p.id]
        body["customizations"] = p.customizations or []
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
    price = ma.fields.Integer(metadata={"description": "minor units (per kilogram when soldBy is weight)"})
    compare_at_price = ma.fields.Integer(allow_none=True, metadata={"description": "minor units"})
    inventory_count = ma.fields.Integer(metadata={"description": "available units (grams when soldBy is weight): "
                                                                 "on hand minus those reserved by carts "
                                                                 "(POST /inventory/reserve)"})
    available = ma.fields.Boolean()
    weight_grams = ma.fields.Integer(allow_none=True)
    wholesale_price = ma.fields.Integer(allow_none=True, metadata={
        "description": "minor units; what wholesale customers pay (services.catalog.price_list)"})
    sold_by = ma.fields.String(validate=validate.OneOf(SOLD_BY), metadata={
        "description": "unit: price per piece, stock in pieces; weight: price per kilogram, stock in grams"})
    weight_step_grams = ma.fields.Integer(allow_none=True, metadata={
        "description": "weight variants: a cart line's weight per piece is a multiple of it (grams)"})
    min_weight_grams = ma.fields.Integer(allow_none=True, metadata={
        "description": "weight variants: the least weight per piece (grams)"})
    options = ma.fields.List(ma.fields.Nested(OptionValueSchema))


class PricingSchema(CamelSchema):
    """Seed 000's pricing, minor units (services.catalog.price_list)."""

    base = ma.fields.Integer(metadata={"description": "compareAtPrice when set, else price"})
    discounted = ma.fields.Integer(allow_none=True, metadata={"description": "price when below base, else null"})
    wholesale = ma.fields.Integer(allow_none=True, metadata={"description": "the lowest variant wholesale price"})


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
    seo_title = ma.fields.String(metadata={"description": "its own, else the name (70 characters): services.catalog.seo"})
    seo_description = ma.fields.String(metadata={"description": "its own, else the description as plain text "
                                                                "(160 characters)"})
    handle = ma.fields.String()
    vendor = ma.fields.String()
    product_type = ma.fields.String()
    store_id = ma.fields.String(allow_none=True)
    kind = ma.fields.String(validate=validate.OneOf(PRODUCT_KINDS),
                            metadata={"description": "product kind: decides its typed attributes"})
    is_featured = ma.fields.Boolean(metadata={"description": "listed in GET /products/featured"})
    pricing = ma.fields.Nested(PricingSchema)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class ReviewSummarySchema(CamelSchema):
    """Average rating (1 decimal), review count and count per star ("1".."5")."""

    average_rating = ma.fields.Float(allow_none=True)
    total_reviews = ma.fields.Integer()
    distribution = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


TypedAttributesSchema = CamelSchema.from_dict(attribute_fields(request=False), name="TypedAttributes")
TypedAttributesInputSchema = CamelSchema.from_dict(attribute_fields(request=True), name="TypedAttributesInput")


class ProductDetailSchema(ProductSchema, TypedAttributesSchema):
    """A product with its details: `attributes` (its typed attributes, also each as a top-level
    field when set: services.catalog.product_attributes) and review summary."""

    attributes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                                metadata={"description": "the typed attributes of the product's kind "
                                                         "(each also a top-level field)"})
    reviews = ma.fields.Nested(ReviewSummarySchema)
    customizations = ma.fields.List(ma.fields.Nested(CustomizationSchema), metadata={
        "description": "options priced on top of a variant, chosen per cart line (seed 001)"})


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


ProductFilterArgsSchema = CamelSchema.from_dict(filter_query_fields(), name="ProductFilterArgs")


class ProductQueryArgsSchema(PaginationArgsSchema, ProductFilterArgsSchema):
    """The product list's query: pagination, `fields`, filters (price range in minor units;
    `kind`, `isFeatured`, `isNew` and the typed attribute filters `occasion`, `flowerType`,
    `color`, `skinType`, `concern`, `milk`: comma-separated values match any of them, several
    filters must all match) and sorting."""

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


WEIGHT_STEP = dict(validate=validate.OneOf(catalog.WEIGHT_STEPS), metadata={
    "description": "grams; weight variants only (required for them): weights per piece are multiples of it"})
MIN_WEIGHT = dict(validate=validate.Range(min=1, max=catalog.MAX_PIECE_GRAMS), metadata={
    "description": "grams; weight variants only (required for them): a multiple of weightStepGrams"})
_STEP_FITS = [{"properties": {"weightStepGrams": {"const": step}, "minWeightGrams": {"multipleOf": step}}}
              for step in catalog.WEIGHT_STEPS]


class VariantCreateSchema(CamelSchema):
    """A new variant. `soldBy` weight (seed 003) makes `price` (and `wholesalePrice`) per kilogram and
    `inventoryCount` grams, and needs `weightStepGrams` and `minWeightGrams` (a multiple of the
    step); a unit variant (the default) takes neither (services.catalog.weights)."""

    JSON_SCHEMA = {"if": {"required": ["soldBy"], "properties": {"soldBy": {"const": "weight"}}},
                   "then": {"required": ["weightStepGrams", "minWeightGrams"], "anyOf": _STEP_FITS},
                   "else": {"not": {"anyOf": [{"required": ["weightStepGrams"]}, {"required": ["minWeightGrams"]}]}}}

    name = ma.fields.String(validate=validate.Length(min=1, max=255))
    sku = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    price = StrictInteger(required=True, validate=PRICE, metadata={"description": "minor units"})
    compare_at_price = StrictInteger(allow_none=True, validate=PRICE, metadata={"description": "minor units"})
    inventory_count = StrictInteger(validate=validate.Range(min=0, max=MAX_PRICE),
                                    metadata={"description": "units on hand (default 0)"})
    weight_grams = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=10_000_000))
    wholesale_price = StrictInteger(allow_none=True, validate=PRICE,
                                    metadata={"description": "minor units; null: none (wholesale customers pay price)"})
    requires_shipping = StrictBoolean()
    options = ma.fields.List(ma.fields.Nested(OptionValueSchema), validate=validate.Length(max=3))
    sold_by = ma.fields.String(validate=validate.OneOf(SOLD_BY), metadata={
        "description": "unit (default): price per piece, stock in pieces; weight: price per kilogram, stock in grams"})
    weight_step_grams = StrictInteger(**WEIGHT_STEP)
    min_weight_grams = StrictInteger(**MIN_WEIGHT)


class VariantUpdateSchema(VariantCreateSchema):
    """A variant of the new complete set; an existing one keeps the fields left out (`soldBy`, the
    step and the minimum included; `soldBy` unit clears the step and minimum). A variant changing
    between unit and weight loses its cart lines."""

    JSON_SCHEMA = {"allOf": [
        {"if": {"required": ["soldBy"], "properties": {"soldBy": {"const": "unit"}}},
         "then": {"not": {"anyOf": [{"required": ["weightStepGrams"]}, {"required": ["minWeightGrams"]}]}}},
        {"if": {"required": ["weightStepGrams", "minWeightGrams"]}, "then": {"anyOf": _STEP_FITS}}]}

    id = ma.fields.String(validate=validate.Length(max=40), metadata={"description": "update this variant"})
    price = StrictInteger(validate=PRICE, metadata={"description": "minor units; required for new variants"})


class ProductCreateSchema(TypedAttributesInputSchema):
    """A new product (seed 004 shape). `price` is not set directly: it mirrors the cheapest variant.
    The category is given by slug (`category`) or by id (`categoryId`), not both.
    `kind` (default general, or the one kind the given attributes need) decides which typed
    attributes (top-level fields such as `occasion`, or inside `attributes`) it may carry:
    another kind's attribute is a 422 `unknown_attribute`."""

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
    kind = ma.fields.String(validate=validate.OneOf(PRODUCT_KINDS),
                            metadata={"description": "product kind (default general, or the kind its attributes "
                                                     "need); decides its typed attributes"})
    is_featured = StrictBoolean(metadata={"description": "list it in GET /products/featured (default false)"})
    attributes = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=100)), values=ma.fields.Raw(),
                                metadata={"description": "the complete typed attribute set (names as the top-level "
                                                         "fields); top-level fields given too are set over it"})
    images = ma.fields.List(ma.fields.Nested(ImageInputSchema), validate=validate.Length(max=50))
    customizations = ma.fields.List(ma.fields.Nested(CustomizationSchema), **CUSTOMIZATIONS)
    variants = ma.fields.List(ma.fields.Nested(VariantCreateSchema), required=True,
                              validate=validate.Length(min=1, max=100))

    @ma.validates_schema
    def one_category_reference(self, data, **kwargs):
        if "category" in data and "category_id" in data:
            raise ma.ValidationError("Give category or categoryId, not both", "categoryId")


class ProductUpdateSchema(ProductCreateSchema):
    """Changes to a product: only given fields change; `variants` and `images`, when given,
    are the complete new lists (entries matched by id, then SKU/URL; unlisted ones are removed).
    `attributes`, when given, is the complete new attribute set; a top-level attribute field
    changes only that attribute (`null` removes it). A new `kind` must suit the attributes kept."""

    name = ma.fields.String(validate=validate.Length(min=1, max=255))
    variants = ma.fields.List(ma.fields.Nested(VariantUpdateSchema), validate=validate.Length(min=1, max=100))


def _service_data(args: dict) -> dict:
    """Request fields -> the catalog's write shape (top-level typed attributes become
    `attribute_updates`, set over `attributes` or the current ones)."""
    data = {k: v for k, v in args.items() if k not in TYPED_ATTRIBUTES}
    updates = {k: args[k] for k in TYPED_ATTRIBUTES if k in args}
    if updates:
        data["attribute_updates"] = updates
    return data


# --------------------------------------------------------------------------- routes

def product_list_answer(args: dict, **filters):
    """The `{"data": [product], "pagination"}` answer of a product list: `args` are the parsed
    ProductQueryArgsSchema query (`fields` selection, `status`: anything but active is staff
    only, 403 `insufficient_role`), `filters` more `catalog.list_products` filters (e.g.
    `category_ids`)."""
    fields = LIST_FIELDS.parse(args.pop("selected_fields", None))
    filters = {**filters, **filters_from_args(args)}
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
    @blp.alt_response(301, description="An old handle: Location gives the product's current one")
    @cached_get
    def get(self, args, product_id):
        """Get one product by id or handle, with details; an old handle redirects (301)."""
        fields = DETAIL_FIELDS.parse(args.get("selected_fields"))

        def read():
            product = catalog.get_product(product_id, include_inactive=True)
            if product.status != "active":
                user = current_user()
                if not (user and user.is_staff):
                    raise NotFound("Product not found", reason="product_not_found")
            return product_response(catalog.product_view(product), fields=fields)

        if product_id.startswith("prod_"):
            return read()
        return or_moved("product", product_id, f"{blp.url_prefix}/{{}}", read)

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
