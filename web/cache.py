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
import threading

from cachetools import TTLCache
from flask import Response, request

import config
from services import catalog
from services.platform import metrics

_lock = threading.Lock()
_cache: TTLCache | None = None


def _store() -> TTLCache | None:
    global _cache
    ttl = config.get().catalog_cache_seconds
    if ttl <= 0:
        return None
    if _cache is None or _cache.ttl != ttl:
        with _lock:
            if _cache is None or _cache.ttl != ttl:
                _cache = TTLCache(maxsize=4096, ttl=ttl)
    return _cache


def clear() -> None:
    """Drop every cached response and list total (call after a catalog write)."""
    catalog.clear_list_totals()
    store = _store()
    if store is not None:
        with _lock:
            store.clear()


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
        store = _store()
        if store is None or request.headers.get("Authorization"):
            return view(*args, **kwargs)
        key = request.full_path
        with _lock:
            hit = store.get(key)
        metrics.count_catalog_cache("hit" if hit is not None else "miss")
        if hit is not None:
            body, mimetype = hit
            return Response(body, status=200, mimetype=mimetype, headers={"X-Cache": "hit"})
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            with _lock:
                store[key] = (response.get_data(), response.mimetype)
            response.headers["X-Cache"] = "miss"
        return response

    return wrapper
