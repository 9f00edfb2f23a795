"""Seed 002's homepage: every section in one call, the homepage categories, trending content, and
the staff-managed banners (`content:write`).

- `GET /api/v1/homepage/sections?lat=&lng=&limit=`: the sections of services.content.homepage, in
  order, each `{key, title, type, <type's list>}`; `for_you` for a signed-in caller, nearby stores
  when `lat` and `lng` are given;
- `GET /api/v1/homepage/categories?limit=`: the top-level categories (flat, `depth` 1);
- `GET /api/v1/homepage/trending?limit=`: trending products, the most viewed videos and the best
  rated stores;
- `GET|POST /api/v1/homepage/banners`, `GET|PUT|DELETE /api/v1/homepage/banners/{bannerId}` (staff).
- `GET /api/v1/homepage/recommendations` stays in web.recommendations.

Caching: each shared section (every one but `for_you`) is kept as JSON in the catalog cache
(services.platform.catalog_ttl: Redis across processes, in-process when embedded) under
`homepage:<section>:<parameters>` until the next catalog, banner or content write or
`CATALOG_CACHE_SECONDS`. Answers carry `Cache-Control: public, max-age=<CATALOG_MAX_AGE_SECONDS>`
for guests and `private, no-cache` for a signed-in caller (their `for_you` is theirs).
"""

from __future__ import annotations

import json

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import content, recommendations, wallet
from services.platform import catalog_ttl
from web.cache import cache_control
from web.categories import CategorySchema, category_to_dict
from web.earn import ProjectSchema
from web.recommendations import RecommendedProductSchema, scored_to_dict
from web.schemas import CamelSchema, MessageSchema, StrictInteger, UtcDateTime, ok
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_staff
from web.store_schemas import StoreSchema
from web.videos import VideoSchema

blp = Blueprint("homepage", __name__, url_prefix="/api/v1/homepage",
                description="Homepage sections, categories, trending content and banners (seed 002)")

TRIMMED = validate.Regexp(r"^\S(?:.*\S)?$", error="no leading or trailing spaces")
TITLES = {"banners": "Offers", "categories": "Shop by category", "for_you": "Recommended for you",
          "trending": "Trending now", "nearby_stores": "Stores near you", "featured_videos": "Shop the video",
          "earn_projects": "Earn rewards"}
TYPES = {"banners": "banner", "categories": "category", "for_you": "product", "trending": "product",
         "nearby_stores": "store", "featured_videos": "video", "earn_projects": "project"}
COORDINATE_DECIMALS = 3  # a location is rounded to about 100 m before the nearby stores are looked up


class BannerSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    subtitle = ma.fields.String()
    imageUrl = ma.fields.String()
    linkType = ma.fields.String(metadata={"description": "url | product | category"})
    link = ma.fields.String(metadata={"description": "an https URL or /path (url), else the product or category id"})
    position = ma.fields.Integer()
    active = ma.fields.Boolean()
    startsAt = ma.fields.String(allow_none=True)
    endsAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class BannerUpdateSchema(CamelSchema):
    title = ma.fields.String(validate=[validate.Length(min=1, max=120), TRIMMED])
    subtitle = ma.fields.String(validate=validate.Length(max=200))
    image_url = ma.fields.String(validate=[validate.Length(max=500), validate.URL(schemes={"https"})],
                                 metadata={"description": "https URL of the banner image"})
    link_type = ma.fields.String(validate=validate.OneOf(content.BANNER_LINK_TYPES))
    link = ma.fields.String(validate=validate.Length(min=1, max=500))
    position = StrictInteger(validate=validate.Range(min=0, max=10_000), metadata={"description": "ascending"})
    active = ma.fields.Boolean()
    starts_at = UtcDateTime(allow_none=True, metadata={"description": "shown from (null: now)"})
    ends_at = UtcDateTime(allow_none=True, metadata={"description": "shown until, exclusive (null: open-ended)"})


class BannerInputSchema(BannerUpdateSchema):
    title = ma.fields.String(required=True, validate=[validate.Length(min=1, max=120), TRIMMED])
    image_url = ma.fields.String(required=True, validate=[validate.Length(max=500), validate.URL(schemes={"https"})],
                                 metadata={"description": "https URL of the banner image"})


class BannerEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(BannerSchema)


class BannerListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(BannerSchema))


class SectionSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": " | ".join(content.HOMEPAGE_SECTIONS)})
    title = ma.fields.String()
    type = ma.fields.String(metadata={"description": "banner | category | product | store | video | project: "
                                                     "names the list present (banners, categories, products...)"})
    banners = ma.fields.List(ma.fields.Nested(BannerSchema))
    categories = ma.fields.List(ma.fields.Nested(CategorySchema))
    products = ma.fields.List(ma.fields.Nested(RecommendedProductSchema))
    stores = ma.fields.List(ma.fields.Nested(StoreSchema), metadata={"description": "nearest first, with distanceKm"})
    videos = ma.fields.List(ma.fields.Nested(VideoSchema))
    projects = ma.fields.List(ma.fields.Nested(ProjectSchema))


class SectionsSchema(ma.Schema):
    sections = ma.fields.List(ma.fields.Nested(SectionSchema))


class SectionsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SectionsSchema)


class CategoriesEnvelopeSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CategorySchema))


class TrendingSchema(ma.Schema):
    products = ma.fields.List(ma.fields.Nested(RecommendedProductSchema),
                              metadata={"description": "recency-decayed interactions of the last 30 days"})
    videos = ma.fields.List(ma.fields.Nested(VideoSchema), metadata={"description": "most viewed published videos"})
    stores = ma.fields.List(ma.fields.Nested(StoreSchema),
                            metadata={"description": "best rated active stores (at least one review)"})


class TrendingEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(TrendingSchema)


class LimitArgsSchema(CamelSchema):
    limit = ma.fields.Integer(load_default=8, validate=validate.Range(min=1, max=content.MAX_SECTION_ITEMS),
                              metadata={"description": "items per section"})


class SectionsArgsSchema(LimitArgsSchema):
    lat = ma.fields.Float(validate=validate.Range(min=-90, max=90), metadata={"description": "latitude, degrees"})
    lng = ma.fields.Float(validate=validate.Range(min=-180, max=180), metadata={"description": "longitude, degrees"})


def _banners(args) -> list[dict]:
    return [content.banner_view(b) for b in content.active_banners(limit=args["limit"])]


def _categories(args) -> list[dict]:
    return [category_to_dict(node, tree=False) for node in content.top_categories(args["limit"])]


def _trending(args) -> list[dict]:
    return [scored_to_dict(item) for item in recommendations.trending(args["limit"])[0]]


def _for_you(args) -> list[dict]:
    return [scored_to_dict(item) for item in recommendations.for_user(current_user(), args["limit"])[0]]


def _rounded(args) -> tuple[float, float]:
    return round(args["lat"], COORDINATE_DECIMALS), round(args["lng"], COORDINATE_DECIMALS)


def _nearby_stores(args) -> list[dict]:
    lat, lng = _rounded(args)
    rows, _ = content.nearby_stores(lat, lng, None, 1, args["limit"])
    return [content.store_view(store, distance) for store, distance in rows]


def _featured_videos(args) -> list[dict]:
    videos, _ = content.list_videos(None, content.VideoFilters(featured=True), 1, args["limit"])
    return content.video_views(videos, None)


def _trending_videos(args) -> list[dict]:
    videos, _ = content.list_videos(None, content.VideoFilters(order="popular"), 1, args["limit"])
    return content.video_views(videos, None)


def _trending_stores(args) -> list[dict]:
    return [content.store_view(store) for store in content.top_rated_stores(args["limit"])]


def _earn_projects(args) -> list[dict]:
    """Open projects; for a signed-in caller those they can still complete (per-user limits, and
    visit projects near them when a location is given)."""
    user = current_user()
    if user is None:
        return [wallet.project_view(p) for p in wallet.open_projects(args["limit"])]
    rows, _ = wallet.list_available(user.id, args.get("lat"), args.get("lng"), limit=args["limit"])
    return [wallet.project_view(p, user.id, distance) for p, distance in rows]


BUILDERS = {"banners": ("banners", _banners), "categories": ("categories", _categories),
            "for_you": ("products", _for_you), "trending": ("products", _trending),
            "nearby_stores": ("stores", _nearby_stores), "featured_videos": ("videos", _featured_videos),
            "earn_projects": ("projects", _earn_projects)}


def _cached(name: str, build) -> object:
    """`build()`'s JSON value, from the catalog cache under `homepage:<name>` when it is there."""
    found = catalog_ttl.lookup(f"homepage:{name}")
    if found.value is not None:
        return json.loads(found.value)
    value = build()
    catalog_ttl.keep(found, json.dumps(value, separators=(",", ":")).encode())
    return value


def _cache_name(key: str, args) -> str:
    if key == "nearby_stores":
        return f"{key}:{args['limit']}:%s,%s" % _rounded(args)
    return f"{key}:{args['limit']}"


def _section(key: str, args) -> dict:
    field, build = BUILDERS[key]
    personal = key in content.PERSONAL_HOMEPAGE_SECTIONS and current_user() is not None
    items = build(args) if personal else _cached(_cache_name(key, args), lambda: build(args))
    return {"key": key, "title": TITLES[key], "type": TYPES[key], field: items}


def _answer(data):
    response = ok(data)
    response.headers["Cache-Control"] = cache_control(public="Authorization" not in request.headers)
    return response


@blp.route("/sections")
class HomepageSections(MethodView):
    @blp.arguments(SectionsArgsSchema, location="query")
    @blp.response(200, SectionsEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """Every homepage section in one call (seed 002): banners, categories, for you (signed in),
        trending products and the super-app's content."""
        keys = content.homepage_section_keys(current_user() is not None, "lat" in args and "lng" in args)
        return _answer({"sections": [_section(key, args) for key in keys]})


@blp.route("/categories")
class HomepageCategories(MethodView):
    @blp.arguments(LimitArgsSchema, location="query")
    @blp.response(200, CategoriesEnvelopeSchema)
    def get(self, args):
        """The homepage's categories: the top-level active categories, in sibling order."""
        return _answer(_cached(f"categories:{args['limit']}", lambda: _categories(args)))


@blp.route("/trending")
class HomepageTrending(MethodView):
    @blp.arguments(LimitArgsSchema, location="query")
    @blp.response(200, TrendingEnvelopeSchema)
    def get(self, args):
        """Trending content (seed 002): products, videos and stores."""
        return _answer({"products": _cached(f"trending:{args['limit']}", lambda: _trending(args)),
                        "videos": _cached(f"trending_videos:{args['limit']}", lambda: _trending_videos(args)),
                        "stores": _cached(f"trending_stores:{args['limit']}", lambda: _trending_stores(args))})


@blp.route("/banners")
class Banners(MethodView):
    @checked(require_staff)
    @blp.response(200, BannerListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List every banner, active or not, by position (staff)."""
        return ok([content.banner_view(b) for b in content.list_banners()])

    @checked(require_staff)
    @blp.arguments(BannerInputSchema)
    @blp.response(201, BannerEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Add a homepage banner (staff)."""
        return ok(content.banner_view(content.create_banner(body, current_user().id)), 201)


@blp.route("/banners/<id(ban):banner_id>")
class BannerById(MethodView):
    @checked(require_staff)
    @blp.response(200, BannerEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, banner_id):
        """Get a banner (staff)."""
        return ok(content.banner_view(content.get_banner(banner_id)))

    @checked(require_staff)
    @blp.arguments(BannerUpdateSchema)
    @blp.response(200, BannerEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, banner_id):
        """Change a banner's fields given (staff)."""
        return ok(content.banner_view(content.update_banner(banner_id, body)))

    @checked(require_staff)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, banner_id):
        """Delete a banner (staff)."""
        content.delete_banner(banner_id)
        return {"message": "Banner deleted"}
