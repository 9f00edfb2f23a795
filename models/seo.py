"""SEO: the redirects left by changed slugs, and the built sitemap documents (migration 0022)."""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow

SLUG_KINDS = ("product", "category")


class SlugRedirect(BaseModel):
    """An old slug of a product (its handle) or a category, pointing at the row that had it.

    `target_id` is the product's (`prod_...`) or category's (`cat_...`) id, so a slug changed
    twice still leads to the current one; a redirect whose target is gone leads nowhere (404).
    Unique per `(kind, old_slug)`: the latest owner of a slug wins.
    """

    id = PrefixedIdField("redir")
    kind = peewee.CharField(max_length=16)
    old_slug = peewee.CharField(max_length=255)
    target_id = peewee.CharField(max_length=40, index=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("kind", "old_slug"), True),)


class SitemapDocument(BaseModel):
    """One built sitemap file (sitemaps.org protocol 0.9): `name` is its path under the site root
    (`sitemap.xml`, `sitemap-products-1.xml`...), `content` the XML, `etag` the SHA-256 of it
    (first 32 hex digits), `built_at` when the build job wrote it; `build_id` the build it
    belongs to (a new build replaces every document in one transaction)."""

    name = peewee.CharField(max_length=100, primary_key=True)
    content = peewee.TextField()
    etag = peewee.CharField(max_length=64)
    build_id = peewee.CharField(max_length=40)
    built_at = peewee.DateTimeField(default=utcnow)
