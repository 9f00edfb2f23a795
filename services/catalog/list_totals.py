"""Totals of the public product list, kept in the catalog cache (services.platform.catalog_ttl)
for `CATALOG_CACHE_SECONDS`.

An exact COUNT over a large catalog costs more than the page itself (about 7 ms for 100,000
active products on PostgreSQL, an index-only scan), and every page of one filter set shares
the same total; so the public list counts each filter set once until the TTL passes or a
catalog write (in any process) invalidates the cache, and shares the count between processes
when the cache is in Redis. Entries are named `totals:<sha256 of the SQL and its parameters>`.
Staff lists (drafts included) are always counted exactly, and so is everything while the cache
is off or unreachable.
"""

from __future__ import annotations

import hashlib

import peewee

from services.platform import catalog_ttl


def _name(query: peewee.SelectQuery) -> str:
    sql, params = query.sql()
    return "totals:" + hashlib.sha256(repr((sql, tuple(params))).encode()).hexdigest()


def total(query: peewee.SelectQuery) -> int:
    """`query.count()`, from the cache when the same filters were counted in this generation."""
    if not catalog_ttl.enabled():
        return query.count()
    found = catalog_ttl.lookup(_name(query))
    if found.value is not None:
        return int(found.value)
    counted = query.count()
    catalog_ttl.keep(found, str(counted).encode())
    return counted


def clear() -> None:
    """Invalidate the catalog cache, totals included (`catalog_ttl.invalidate`; every catalog
    write already does, when it commits)."""
    catalog_ttl.invalidate()
