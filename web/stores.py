"""Stores (seed 002 "Store Routes" and `GET /categories/:id/stores`): services.content.

- `GET /stores?page=&limit=&category=&city=&openNow=&partner=&search=`: active stores by name;
  `category` is a category id or slug (its subcategories included), `openNow` is decided in each
  store's time zone (its own, else SHOP_TIMEZONE);
- `GET /stores/nearby?lat=&lng=&radius=&page=&limit=`: stores whose own delivery radius covers
  the point and (with `radius`, km) within that distance of it, nearest first, with `distanceKm`;
- `GET /stores/{storeId}` (id or slug), `GET /stores/{storeId}/products` (`GET /products`'s answer
  and parameters, for the store), `GET /categories/{categoryId}/stores` (as `GET /stores`);
- `GET|POST /stores/{storeId}/reviews`: a store's reviews; a signed-in customer reviews a store once;
- `POST /stores` (admin, `stores:manage`), `PUT /stores/{storeId}` (an admin, or the store's own
  staff: users in its `staffIds`, which only an admin sets), `DELETE /stores/{storeId}` (admin: soft,
  `isActive` false); `POST /stores/{storeId}/logo|banner` (multipart `image`; admin or the store's
  staff) and the files at `GET /media/stores/{storeId}/{fileName}`.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.routing import BaseConverter

from services import catalog, content
from web.permissions import has_permission, require_permission
from web.products import ProductListSchema, product_list_answer
from web.schemas import PaginationArgsSchema, ok, pagination
from web.store_schemas import (SLUG_PATTERN, CategoryStoresArgsSchema, NearbyArgsSchema, StoreCreateSchema,
                               StoreEnvelopeSchema, StoreImageFormSchema, StoreListArgsSchema, StoreListSchema,
                               StoreProductsArgsSchema, StoreReviewEnvelopeSchema, StoreReviewInputSchema,
                               StoreReviewListSchema, StoreUpdateSchema)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_user
from web.uploads import media_response, uploaded_file

blp = Blueprint("stores", __name__, url_prefix="/api/v1", description="Stores (seed 002)")

STORE_REF = f"store_[0-9A-Za-z]{{1,40}}|{SLUG_PATTERN}"
MANAGE = "stores:manage"
IMAGE_CACHE = "public, max-age=31536000, immutable"  # a new image has a new name


class StoreRefConverter(BaseConverter):
    """`<store_ref:store_id>`: a store id (`store_...`) or slug, never a fixed word (`nearby`)."""

    regex = "(?!(?:" + "|".join(sorted(content.RESERVED_SLUGS)) + r")(?:/|\Z))(?:" + STORE_REF + ")"


@blp.record_once
def _register_converter(state) -> None:
    """Before the blueprint's rules are added: the store converter, and its OpenAPI schema."""
    state.app.url_map.converters["store_ref"] = StoreRefConverter
    state.app.extensions["cartwheel_api"].register_converter(
        StoreRefConverter, lambda converter: {"type": "string", "pattern": f"^(?:{STORE_REF})$", "maxLength": 200,
                                              "not": {"enum": sorted(content.RESERVED_SLUGS)},
                                              "description": "a store id (`store_...`) or slug"})


# --------------------------------------------------------------------------- views

def require_store_manager():
    """The caller if they have `stores:manage` (401 / 403 otherwise)."""
    return require_permission(MANAGE)


def _is_admin() -> bool:
    return has_permission(current_user(), MANAGE)


def _editor_view(store) -> dict:
    user = current_user()
    editor = has_permission(user, MANAGE) or content.is_store_staff(user, store.id)
    return content.store_view(store, editor=editor)


def _store_list(args: dict, category_ids: list[str] | None):
    filters = content.StoreFilters(category_ids=category_ids, city=args.get("city"), open_now=args.get("open_now"),
                                   partner=args.get("partner"), search=args.get("search"))
    stores, total = content.list_stores(filters, args["page"], args["limit"])
    return ok([content.store_view(s) for s in stores], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/stores")
class Stores(MethodView):
    @blp.arguments(StoreListArgsSchema, location="query")
    @blp.response(200, StoreListSchema)
    def get(self, args):
        """List active stores with filters (category, city, open now, partner, search) and pagination."""
        category = args.get("category")
        return _store_list(args, catalog.subtree_ids(category) if category else None)

    @checked(require_store_manager)
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create a store (admin)."""
        return ok(content.store_view(content.create_store(body), editor=True), 201, message="Store created")


@blp.route("/stores/nearby")
class NearbyStores(MethodView):
    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, StoreListSchema)
    def get(self, args):
        """List the stores that deliver to a point (their delivery radius covers it), nearest first."""
        found, total = content.nearby_stores(args["lat"], args["lng"], args.get("radius"), args["page"], args["limit"])
        return ok([content.store_view(store, distance_km=distance) for store, distance in found],
                  pagination=pagination(args["page"], args["limit"], total))


@blp.route("/stores/<store_ref:store_id>")
class StoreById(MethodView):
    @blp.response(200, StoreEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, store_id):
        """Get a store by id or slug (an inactive one: its staff and admins only)."""
        return ok(_editor_view(content.get_store(store_id, current_user(), _is_admin())))

    @checked(require_user)
    @blp.arguments(StoreUpdateSchema)
    @blp.response(200, StoreEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, store_id):
        """Change a store (an admin, or the store's own staff; `staffIds` and `isActive`: admins only)."""
        store = content.update_store(store_id, body, require_user(), _is_admin())
        return ok(content.store_view(store, editor=True), message="Store updated")

    @checked(require_store_manager)
    @blp.response(200, StoreEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, store_id):
        """Deactivate a store (admin; soft delete: `isActive` false, its products stay)."""
        return ok(content.store_view(content.deactivate_store(store_id), editor=True), message="Store deactivated")


@blp.route("/stores/<store_ref:store_id>/products")
class StoreProducts(MethodView):
    @blp.arguments(StoreProductsArgsSchema(), location="query")
    @blp.response(200, ProductListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args, store_id):
        """List a store's products (as GET /products)."""
        return product_list_answer(args, store_id=content.get_store(store_id).id)


@blp.route("/categories/<id(cat):category_id>/stores")
class CategoryStores(MethodView):
    @blp.arguments(CategoryStoresArgsSchema, location="query")
    @blp.response(200, StoreListSchema)
    def get(self, args, category_id):
        """List the active stores of a category and its subcategories (as GET /stores)."""
        return _store_list(args, catalog.subtree_ids(category_id))


@blp.route("/stores/<store_ref:store_id>/reviews")
class StoreReviews(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, StoreReviewListSchema)
    def get(self, args, store_id):
        """List a store's reviews, newest first."""
        reviews, total = content.list_store_reviews(store_id, args["page"], args["limit"])
        return ok([content.store_review_view(r) for r in reviews],
                  pagination=pagination(args["page"], args["limit"], total))

    @checked(require_user)
    @blp.arguments(StoreReviewInputSchema)
    @blp.response(201, StoreReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, store_id):
        """Review a store (once per customer): rating 1-5 and a text; the store's ratings follow."""
        review = content.review_store(store_id, require_user(), body["rating"], body["text"])
        return ok(content.store_review_view(review), 201)


def _image_upload(store_id: str, kind: str):
    raw = uploaded_file("image", content.STORE_IMAGE_MAX_BYTES)
    store = content.store_image(store_id, kind, raw, require_user(), _is_admin())
    return ok(content.store_view(store, editor=True), message=f"Store {kind} stored")


IMAGE_FORM = {"required": True, "content": {"multipart/form-data": {"schema": StoreImageFormSchema}}}


@blp.route("/stores/<store_ref:store_id>/logo")
class StoreLogo(MethodView):
    @checked(require_user)
    @blp.response(200, StoreEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY, requestBody=IMAGE_FORM)
    def post(self, store_id):
        """Upload a store's logo (admin or its staff; re-encoded, at most 512 px, metadata removed)."""
        return _image_upload(store_id, "logo")


@blp.route("/stores/<store_ref:store_id>/banner")
class StoreBanner(MethodView):
    @checked(require_user)
    @blp.response(200, StoreEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY, requestBody=IMAGE_FORM)
    def post(self, store_id):
        """Upload a store's banner (admin or its staff; re-encoded, at most 2048 px, metadata removed)."""
        return _image_upload(store_id, "banner")


IMAGE_RESPONSES = {"200": {"description": "The image", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in ("image/webp", "image/png")}}}


@blp.route("/media/stores/<id(store):store_id>/<string:file_name>")
class StoreImageMedia(MethodView):
    @blp.doc(responses=IMAGE_RESPONSES)
    @blp.response(200, description="The image", content_type="image/webp")
    def get(self, store_id, file_name):
        """Get a store's logo or banner (public; cached for a year, a new image has a new URL)."""
        path, media_type = content.store_image_file(store_id, file_name)
        return media_response(path, media_type, IMAGE_CACHE, max_age=31536000)
