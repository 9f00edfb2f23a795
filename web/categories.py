"""Categories (seed 002): the public category tree, one category with its subcategories and
ancestors, the products of a category (its subcategories' included), and admin writes.

- `GET /categories?view=tree|flat&type=&includeInactive=`: the tree (default; `children`
  nested) or the same categories depth-first (`view=flat`, no `children`, with `depth`);
- `GET /categories/{slug}` and `GET /categories/{category_id}`: one category, its subtree in
  `children` and its `ancestors` (root first: the breadcrumb);
- `GET /categories/{category_id}/products`: `GET /products`'s answer, paging, sorting and
  filters, for the category and its descendants;
- `POST /categories`, `PUT /categories/{category_id}` (partial), `DELETE /categories/{category_id}`
  (the subtree goes too; its products stay, uncategorised): `catalog:write` (web.permissions),
  audit-logged (target type `category`).

Every category carries `productCount`, the active products in its visible subtree. Inactive
categories (and what is under them) are hidden unless staff ask `includeInactive=true` (403 for
anyone else). The reads go through web.cache (the shared catalog cache; every category or product
write invalidates it). The rules of the tree (depth, cycles, slugs, delete) are
services.catalog.categories'.

Slugs (`[a-z0-9]+(-[a-z0-9]+)*`) and ids (`cat_...`) never look alike, so `/categories/<slug>`
and `/categories/<id(cat):...>` are different routes (the `category_slug` converter below,
registered when the blueprint is).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from werkzeug.routing import BaseConverter

from models.catalog import CATEGORY_TYPES
from models.db import isoformat
from services import catalog
from services.catalog import CategoryDetail, CategoryNode
from services.errors import NotAllowed
from web.cache import cached_get
from web.products import HTTP_URL, ProductListSchema, ProductQueryArgsSchema, product_list_answer
from web.schemas import CamelSchema, QueryBoolean, StrictBoolean, StrictInteger, ok
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin
from web.slug_moved import or_moved

blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories", description="Catalog: categories")

SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"
TYPE_PATTERN = r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$"  # going_out, home_delivery, earn, play, or a shop's own
CATEGORY_ID_PATTERN = r"^cat_[0-9A-Za-z]{1,40}$"


class CategorySlugConverter(BaseConverter):
    """`<category_slug:slug>`: a category slug (never an id: ids have an underscore)."""

    regex = SLUG_PATTERN


@blp.record_once
def _register_converter(state) -> None:
    """Before the blueprint's rules are added: the slug converter, and its OpenAPI schema."""
    state.app.url_map.converters["category_slug"] = CategorySlugConverter
    state.app.extensions["cartwheel_api"].register_converter(
        CategorySlugConverter, lambda converter: {"type": "string", "pattern": f"^{SLUG_PATTERN}$",
                                                  "maxLength": 200, "description": "a category slug"})


# --------------------------------------------------------------------------- serialization

def category_to_dict(node: CategoryNode, tree: bool = True) -> dict:
    """A category: `children` (nested, in sibling order) in a tree, `depth` (1: a root) when flat."""
    c = node.category
    body = {"id": c.id, "name": c.name, "slug": c.slug, "description": c.description, "icon": c.icon,
            "image": c.image, "type": c.type, "parentId": c.parent_id, "isActive": c.is_active,
            "sortOrder": c.sort_order, "metadata": c.metadata or {}, "productCount": node.product_count,
            "seoTitle": catalog.seo_title(c.name),
            "seoDescription": catalog.seo_description(c.description, fallback=f"Shop {c.name}"),
            "createdAt": isoformat(c.created_at), "updatedAt": isoformat(c.updated_at)}
    if tree:
        body["children"] = [category_to_dict(child) for child in node.children]
    else:
        body["depth"] = node.depth
    return body


def detail_to_dict(detail: CategoryDetail) -> dict:
    """One category with its subtree and `ancestors` [{id, name, slug}], root first."""
    return {**category_to_dict(detail.node),
            "ancestors": [{"id": a.id, "name": a.name, "slug": a.slug} for a in detail.ancestors]}


def category_view(ref: str) -> dict:
    """The staff view of category `ref` (id or slug), inactive ones included (audit snapshots)."""
    return detail_to_dict(catalog.get_category(ref, include_inactive=True))


# --------------------------------------------------------------------------- schemas

class CategoryMetadataSchema(CamelSchema):
    color = ma.fields.String(validate=validate.Regexp(r"^#[0-9A-Fa-f]{6}$", error="A colour such as #FF5733"),
                             metadata={"description": "#RRGGBB"})
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))


class CategoryFieldsSchema(CamelSchema):
    id = ma.fields.String()
    name = ma.fields.String()
    slug = ma.fields.String()
    description = ma.fields.String()
    icon = ma.fields.String(allow_none=True, metadata={"description": "an icon name or URL"})
    image = ma.fields.String(allow_none=True, metadata={"description": "image URL"})
    type = ma.fields.String(metadata={"description": f"{', '.join(CATEGORY_TYPES)} or the shop's own"})
    parent_id = ma.fields.String(allow_none=True)
    is_active = ma.fields.Boolean()
    sort_order = ma.fields.Integer()
    metadata = ma.fields.Nested(CategoryMetadataSchema)
    product_count = ma.fields.Integer(metadata={"description": "active products, subcategories included"})
    seo_title = ma.fields.String(metadata={"description": "the name, shortened to 70 characters"})
    seo_description = ma.fields.String(metadata={"description": "the description as plain text (160 characters)"})
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class CategorySchema(CategoryFieldsSchema):
    """A category of the tree view, with its subcategories (`view=flat`: `depth` instead)."""

    children = ma.fields.List(ma.fields.Nested("CategorySchema"))
    depth = ma.fields.Integer(metadata={"description": "flat view: 1 for a root"})


class AncestorSchema(CamelSchema):
    id = ma.fields.String()
    name = ma.fields.String()
    slug = ma.fields.String()


class CategoryDetailSchema(CategorySchema):
    """A category with its subtree and its ancestors (root first)."""

    ancestors = ma.fields.List(ma.fields.Nested(AncestorSchema))


class CategoryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CategorySchema))


class CategoryEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CategoryDetailSchema)


class DeletedSchema(CamelSchema):
    deleted_ids = ma.fields.List(ma.fields.String(), metadata={"description": "the category, then its subtree"})
    uncategorized_products = ma.fields.Integer(metadata={"description": "products left without a category"})


class DeletedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(DeletedSchema)
    message = ma.fields.String()


class IncludeInactiveArgsSchema(CamelSchema):
    include_inactive = QueryBoolean(metadata={"description": "staff only: inactive categories too"})


class CategoryListArgsSchema(IncludeInactiveArgsSchema):
    view = ma.fields.String(load_default="tree", validate=validate.OneOf(("tree", "flat")))
    type = ma.fields.String(validate=[validate.Length(min=1, max=30), validate.Regexp(TYPE_PATTERN)])


class CategoryProductsArgsSchema(ProductQueryArgsSchema):
    """`GET /products`'s parameters (the category is the path's), and `includeInactive`."""

    class Meta(ProductQueryArgsSchema.Meta):
        exclude = ("category",)

    include_inactive = QueryBoolean(metadata={"description": "staff only: inactive subcategories too"})


class CategoryCreateSchema(CamelSchema):
    """A new category; `slug` defaults to a free slug of the name."""

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = ma.fields.String(validate=[validate.Length(min=1, max=200), validate.Regexp(f"^{SLUG_PATTERN}$")])
    description = ma.fields.String(validate=validate.Length(max=5000))
    icon = ma.fields.String(allow_none=True, validate=[validate.Length(min=1, max=1000), validate.Regexp(r"^\S+$")],
                            metadata={"description": "an icon name or URL"})
    image = ma.fields.String(allow_none=True, validate=[validate.Length(max=1000),
                                                        validate.Regexp(HTTP_URL, error="Not a valid http(s) URL.")],
                             metadata={"pattern": HTTP_URL, "description": "http(s) URL"})
    type = ma.fields.String(validate=[validate.Length(min=1, max=30), validate.Regexp(TYPE_PATTERN)],
                            metadata={"description": f"{', '.join(CATEGORY_TYPES)} (default home_delivery), "
                                                     "or a lower-case slug of the shop's own"})
    parent_id = ma.fields.String(allow_none=True, validate=validate.Regexp(CATEGORY_ID_PATTERN),
                                 metadata={"description": "null: a top-level category"})
    is_active = StrictBoolean()
    sort_order = StrictInteger(validate=validate.Range(min=-1_000_000, max=1_000_000))
    metadata = ma.fields.Nested(CategoryMetadataSchema)


class CategoryUpdateSchema(CategoryCreateSchema):
    """Changes to a category: only the given fields change (`parentId: null` makes it top-level)."""

    name = ma.fields.String(validate=validate.Length(min=1, max=200))


# --------------------------------------------------------------------------- routes

def _include_inactive(args: dict) -> bool:
    """`includeInactive=true` for staff; 403 `insufficient_role` for anyone else."""
    if not args.pop("include_inactive", False):
        return False
    user = current_user()
    if not (user and user.is_staff):
        raise NotAllowed("Only staff may see inactive categories", reason="insufficient_role")
    return True


@blp.route("")
class Categories(MethodView):
    @blp.arguments(CategoryListArgsSchema(), location="query")
    @blp.response(200, CategoryListSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args):
        """List the categories: the tree (default) or flat, depth-first."""
        roots = catalog.category_tree(_include_inactive(args), args.get("type"))
        if args["view"] == "flat":
            return ok([category_to_dict(node, tree=False) for node in catalog.flatten(roots)])
        return ok([category_to_dict(node) for node in roots])

    @blp.response(201, CategoryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(CategoryCreateSchema)
    def post(self, args):
        """Create a category (admin)."""
        category = catalog.create_category(args)
        response = ok(category_view(category.id), 201)
        response.headers["Location"] = f"{blp.url_prefix}/{category.id}"
        return response


@blp.route("/<category_slug:slug>")
class CategoryBySlug(MethodView):
    @blp.arguments(IncludeInactiveArgsSchema(), location="query")
    @blp.response(200, CategoryEnvelopeSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @blp.alt_response(301, description="An old slug: Location gives the category's current one")
    @cached_get
    def get(self, args, slug):
        """Get a category by slug, with its subcategories and ancestors; an old slug redirects (301)."""
        return or_moved("category", slug, f"{blp.url_prefix}/{{}}",
                        lambda: ok(detail_to_dict(catalog.get_category(slug, _include_inactive(args)))))


@blp.route("/<id(cat):category_id>")
class CategoryById(MethodView):
    @blp.arguments(IncludeInactiveArgsSchema(), location="query")
    @blp.response(200, CategoryEnvelopeSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args, category_id):
        """Get a category by id, with its subcategories and ancestors."""
        return ok(detail_to_dict(catalog.get_category(category_id, _include_inactive(args))))

    @blp.response(200, CategoryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(CategoryUpdateSchema)
    def put(self, args, category_id):
        """Update a category; only the given fields change (admin)."""
        category = catalog.update_category(category_id, args)
        return ok(category_view(category.id))

    @blp.response(200, DeletedEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    def delete(self, category_id):
        """Delete a category and its subcategories; their products stay, uncategorised (admin)."""
        outcome = catalog.delete_category(category_id)
        return ok({"deletedIds": outcome["deleted_ids"], "uncategorizedProducts": outcome["uncategorized_products"]},
                  message=f"Category {category_id} deleted with {len(outcome['deleted_ids']) - 1} subcategories")


@blp.route("/<id(cat):category_id>/products")
class CategoryProducts(MethodView):
    @blp.arguments(CategoryProductsArgsSchema(), location="query")
    @blp.response(200, ProductListSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @cached_get
    def get(self, args, category_id):
        """List the products of a category and its subcategories (as GET /products)."""
        return product_list_answer(args, category_ids=catalog.subtree_ids(category_id, _include_inactive(args)))
