"""SEO metadata: automatic titles and descriptions, and slugs suggested on demand.

When a product or category has no SEO title or description of its own, reads fill them in
the way Shopify does (its `seo.title` / `seo.description` default to the resource's title and
description): the title is the name, the description the plain text of the description
(tags removed, entities decoded, whitespace collapsed), both cut on a word boundary to what
search result pages show: `TITLE_MAX` (70) and `DESCRIPTION_MAX` (160) characters, an
ellipsis marking a cut. They are computed at read time, so a renamed product's SEO follows its
name until staff give it their own.
"""

from __future__ import annotations

import html
import re

from models.catalog import Category, Product
from services.catalog.slugs import RESERVED_HANDLES, free_slug, slugify
from services.errors import ValidationFailed
from services.platform import html as html_clean

TITLE_MAX = 70
DESCRIPTION_MAX = 160
SLUG_TYPES = ("product", "category")
_SPACES = re.compile(r"\s+")


def shorten(text: str, limit: int) -> str:
    """`text` with whitespace collapsed, cut to at most `limit` characters on a word boundary
    (a word longer than the limit is cut inside), `…` ending a cut text."""
    clean = _SPACES.sub(" ", text).strip()
    if len(clean) <= limit:
        return clean
    cut = clean[:limit - 1]
    if " " in cut and not clean[limit - 1].isspace():
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def seo_title(name: str, own: str = "") -> str:
    """`own` when given, else `name` shortened to `TITLE_MAX` characters."""
    return own or shorten(name, TITLE_MAX)


def seo_description(description_html: str, own: str = "", fallback: str = "") -> str:
    """`own` when given, else the plain text of `description_html` shortened to
    `DESCRIPTION_MAX` characters; `fallback` (shortened too) when the description is empty."""
    if own:
        return own
    text = html.unescape(html_clean.plain_text(description_html or ""))
    return shorten(text or fallback, DESCRIPTION_MAX)


def suggest_slug(text: str, kind: str, exclude_id: str | None = None) -> dict:
    """A free slug for `text` among products' handles (`kind` "product"; the reserved words
    under /products count as taken) or categories' slugs ("category"): the slug of the text,
    else with the first free `-2`, `-3`... suffix. `exclude_id` is the product or category being
    renamed: its own current slug counts as free for it.

    Returns `{"slug", "base"}` (`base`: the plain slug of the text, `slug == base` when it was
    free). Raises ValidationFailed (422, `invalid_slug_text`) when the text has no letters or
    digits to make a slug of, or `unknown_slug_type` for another kind.
    """
    if kind not in SLUG_TYPES:
        raise ValidationFailed(f"type must be one of {', '.join(SLUG_TYPES)}", reason="unknown_slug_type",
                               details=[{"field": "type", "message": "Unknown type"}])
    base = slugify(text, 200)
    if not base:
        raise ValidationFailed("The text has no letters or digits to make a slug of", reason="invalid_slug_text",
                               details=[{"field": "text", "message": "Use letters or digits"}])
    column = Product.handle if kind == "product" else Category.slug
    if exclude_id:
        own = column.model.select(column).where(column.model.id == exclude_id).scalar()
        if own == base:
            return {"slug": base, "base": base}
    reserved = RESERVED_HANDLES if kind == "product" else frozenset()
    return {"slug": free_slug(base, column, kind, reserved), "base": base}
