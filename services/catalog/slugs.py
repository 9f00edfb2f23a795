"""Slugs: URL-safe ASCII names for products and categories, and the words a product handle may
never be (the fixed path segments under /api/v1/products, such as `search`)."""

from __future__ import annotations

import re
import unicodedata

import peewee

# Fixed words under /products: the routed ones, and those clients use for product collections.
RESERVED_HANDLES = frozenset({
    "search", "featured", "trending", "recommendations", "stock-updates", "related", "new", "new-arrivals",
    "popular", "best-sellers", "bestsellers", "categories", "tags", "brands", "vendors", "collections",
    "export", "import", "bulk", "count", "stats", "analytics", "events", "stream", "suggestions",
    "autocomplete", "filters", "compare",
})


def slugify(text: str, max_length: int = 200) -> str:
    """`"Crème Brûlée 30ml!"` -> `"creme-brulee-30ml"` (ASCII, lower-case, hyphens); "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def free_slug(name: str, column: peewee.Field, fallback: str, reserved: frozenset = frozenset()) -> str:
    """A slug of `name` (`fallback` when nothing is left) not yet used in `column` nor in
    `reserved`: the slug itself, else with the first free `-2`, `-3`... suffix (one query)."""
    base = slugify(name) or fallback
    taken = {value for (value,) in column.model.select(column).where(
        (column == base) | column.startswith(base + "-")).tuples()} | reserved
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
