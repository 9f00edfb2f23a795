"""SEO: slugs on demand (`POST /api/v1/seo/slug`, admin), the sitemap (`GET /sitemap.xml` and its
parts, public) and a rebuild on demand (`POST /api/v1/admin/sitemap`, admin).

Slugs are unique across the platform (a product handle is unique among all shops' products, a
category slug among categories), which makes them unique per shop too: a product's storefront
URL needs nothing but its handle. Old slugs redirect (services.catalog.slug_redirects).

The sitemap is built by a job (services.catalog.sitemap) and served from what it wrote:
`ETag` (the document's SHA-256), `If-None-Match` -> 304, `Cache-Control: public, max-age=3600`.
While no sitemap has been built yet, `GET /sitemap.xml` queues a build and answers an empty
sitemap index (valid XML, no parts; `Cache-Control: no-store`, `Retry-After: 5`): a crawler reads
"nothing listed yet" and comes back, rather than an error.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from services.errors import NotFound
from web.jobview import documents_job, submit
from web.schemas import CamelSchema, ErrorEnvelopeSchema
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("seo", __name__, url_prefix="/api/v1", description="SEO: slugs and sitemap rebuilds")
root_blp = Blueprint("sitemap", "sitemap", url_prefix="", description="SEO: the sitemap (sitemaps.org 0.9)")

SITEMAP_MAX_AGE = 3600
RETRY_AFTER_SECONDS = 5
PART = r"^(products|categories|stores)-[1-9][0-9]{0,5}$"


class SlugRequestSchema(CamelSchema):
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=255),
                            metadata={"description": "a name or title to make a slug of"})
    type = ma.fields.String(load_default="product", validate=validate.OneOf(catalog.SLUG_TYPES),
                            metadata={"description": "product (a handle) or category"})
    exclude_id = ma.fields.String(validate=validate.Regexp(r"^(prod|cat)_[0-9A-Za-z]{1,40}$"),
                                  metadata={"description": "the product or category being renamed: its own slug "
                                                           "counts as free"})


class SlugSchema(CamelSchema):
    slug = ma.fields.String(required=True, metadata={"description": "a free slug"})
    base = ma.fields.String(required=True, metadata={"description": "the plain slug of the text"})
    available = ma.fields.Boolean(required=True, metadata={"description": "true when the plain slug was free"})


class SlugEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SlugSchema, required=True)


@blp.route("/seo/slug")
class Slug(MethodView):
    @blp.response(200, SlugEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(SlugRequestSchema)
    def post(self, args):
        """Suggest a free slug for a product or category name (admin)."""
        found = catalog.suggest_slug(args["text"], args["type"], args.get("exclude_id"))
        return {"data": {**found, "available": found["slug"] == found["base"]}}


@blp.route("/admin/sitemap")
class SitemapBuild(MethodView):
    @documents_job(blp, "A `sitemap_build` job; its result: buildId, documents, urls per kind")
    @checked(require_admin)
    def post(self):
        """Rebuild the sitemap now (a job) (admin)."""
        admin = require_admin()
        return submit(lambda: catalog.request_sitemap_build(admin.id), body={})


def _document(name: str) -> Response:
    document = catalog.sitemap_document(name)
    if document is None:
        raise NotFound("No such sitemap document", reason="sitemap_not_found")
    tag = f'"{document.etag}"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={SITEMAP_MAX_AGE}"}
    if request.if_none_match.contains_weak(document.etag):  # `*` matches too
        return Response(status=304, headers=headers)
    return Response(document.content, status=200, mimetype="application/xml", headers=headers)


SITEMAP_DOC = "A sitemap index (sitemaps.org 0.9) listing the parts"
PART_DOC = "A sitemap part: at most 50,000 URLs with their lastmod"


@root_blp.route("/sitemap.xml")
class SitemapIndex(MethodView):
    @root_blp.response(200, description=SITEMAP_DOC, content_type="application/xml")
    @root_blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    def get(self):
        """The sitemap index of the storefront's products, categories and stores."""
        if catalog.sitemap_document(catalog.SITEMAP_INDEX) is None:
            catalog.request_sitemap_build()
            return Response(catalog.empty_sitemap_index(), status=200, mimetype="application/xml",
                            headers={"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)})
        return _document(catalog.SITEMAP_INDEX)


@root_blp.route("/sitemap-<string:part>.xml")
class SitemapPart(MethodView):
    @root_blp.doc(parameters=[{"in": "path", "name": "part", "required": True,
                                  "schema": {"type": "string", "pattern": PART},
                                  "description": "kind and number, e.g. products-1"}])
    @root_blp.response(200, description=PART_DOC, content_type="application/xml")
    @root_blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @root_blp.alt_response(404, schema=ErrorEnvelopeSchema, description="No such part")
    def get(self, part):
        """One part of the sitemap."""
        return _document(f"sitemap-{part}.xml")
