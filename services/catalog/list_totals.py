"""Totals of the public product list, cached for `CATALOG_CACHE_SECONDS` (cachetools TTLCache).

An exact COUNT over a large catalog costs more than the page itself (about 7 ms for 100,000
active products on PostgreSQL, an index-only scan), and every page of one filter set shares
the same total; so the public list counts each filter set once per TTL per process, the same
bounded staleness as the response cache (`web.cache`), and a catalog write through this process
clears both. Staff lists (drafts included) are always counted exactly.
"""

from __future__ import annotations

import peewee

from services.platform import catalog_ttl

_totals = catalog_ttl.CatalogTTLCache(maxsize=1024)


def total(query: peewee.SelectQuery) -> int:
    """`query.count()`, from the cache when the same filters were counted within the TTL."""
    if not _totals.enabled:
        return query.count()
    sql, params = query.sql()
    key = (sql, tuple(params))
    hit = _totals.get(key)
    if hit is not None:
        return hit
    counted = query.count()
    _totals.put(key, counted)
    return counted


def clear() -> None:
    """Forget every cached total (after a catalog write)."""
    _totals.clear()
