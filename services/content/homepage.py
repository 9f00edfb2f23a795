"""Seed 002's homepage: which sections a caller gets, in order, and the data of the shared ones.

`GET /homepage/sections` answers every section in one call (web.homepage), in this order:

- `banners`: the active banners (services.content.banners);
- `categories`: the top-level active categories of the category tree, in sibling order;
- `for_you`: personal product recommendations (signed-in callers only; services.recommendations);
- `trending`: trending products (services.recommendations);
- `nearby_stores`: stores delivering to the caller's location (only when `lat` and `lng` are given);
- `featured_videos`: featured published shoppable videos;
- `earn_projects`: open earn projects.

A guest's sections are the same for every guest with the same parameters, and so are a signed-in
caller's but `PERSONAL_SECTIONS` (`for_you`; `earn_projects`, which then lists what that caller can
still complete): the web layer keeps the shared ones in the catalog cache (services.platform.
catalog_ttl, keyed by section and parameters) until the next catalog or content write (banners,
stores, videos and earn projects bump it too) or `CATALOG_CACHE_SECONDS`.
"""

from __future__ import annotations

from services import catalog

SECTIONS = ("banners", "categories", "for_you", "trending", "nearby_stores", "featured_videos", "earn_projects")
PERSONAL_SECTIONS = frozenset({"for_you", "earn_projects"})  # per caller when signed in
MAX_SECTION_ITEMS = 24


def section_keys(signed_in: bool, located: bool) -> list[str]:
    """The homepage's section keys for a caller (`SECTIONS` order): `for_you` only when signed in,
    `nearby_stores` only with a location."""
    return [key for key in SECTIONS
            if (key != "for_you" or signed_in) and (key != "nearby_stores" or located)]


def top_categories(limit: int = 12) -> list:
    """The roots of the active category tree (services.catalog.CategoryNode, sibling order), at
    most `limit`."""
    return catalog.category_tree()[:limit]
