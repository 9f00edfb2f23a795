"""A short-lived response cache for public catalog reads (cachetools TTLCache).

Anonymous `GET`s of the product list and detail are served from a per-process
cache for `CATALOG_CACHE_SECONDS` (default 2 s; 0 turns it off), keyed by the
full path and query string. Requests with an `Authorization` header (staff
may see drafts) always go to the database. A catalog write through this
process clears the cache at once; writes elsewhere (another API process, a
checkout taking stock) show within the TTL, the same bounded staleness a
storefront CDN gives Shopify or Saleor shops.

Each cacheable read counts `cartwheel_catalog_cache_total{result="hit"|"miss"}`
(`services.platform.metrics`); reads that bypass the cache (authenticated, cache off) do not.
"""

from __future__ import annotations

import functools

from flask import Response, request

from services import catalog
from services.platform import catalog_ttl, metrics

_responses = catalog_ttl.CatalogTTLCache(maxsize=4096)


def clear() -> None:
    """Drop every cached response and list total (call after a catalog write)."""
    catalog.clear_list_totals()
    _responses.clear()


def clears_on_write(blp) -> None:
    """Make every successful non-GET request of blueprint `blp` clear this process's cache
    (the catalog's write blueprints: products, product stock)."""

    @blp.after_request
    def invalidate_catalog_cache(response):
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            clear()
        return response


def cached_get(view):
    """Decorator for a GET view: serve anonymous requests from the TTL cache (200s only)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _responses.enabled or request.headers.get("Authorization"):
            return view(*args, **kwargs)
        key = request.full_path
        hit = _responses.get(key)
        metrics.count_catalog_cache("hit" if hit is not None else "miss")
        if hit is not None:
            body, mimetype = hit
            return Response(body, status=200, mimetype=mimetype, headers={"X-Cache": "hit"})
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            _responses.put(key, (response.get_data(), response.mimetype))
            response.headers["X-Cache"] = "miss"
        return response

    return wrapper
