"""A per-process cache whose entries live `CATALOG_CACHE_SECONDS` (cachetools TTLCache): the one
store behind the catalog's response cache (web.cache) and its list totals
(services.catalog.list_totals). Thread-safe; off (every `get` a miss, `put` a no-op) when the
setting is 0; re-created when the setting changes."""

from __future__ import annotations

import threading

from cachetools import TTLCache

import config

class CatalogTTLCache:
    """`get(key)` -> the value or None, `put(key, value)`, `clear()`, `enabled`; at most `maxsize` entries."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._cache: TTLCache | None = None

    def _store(self) -> TTLCache | None:
        ttl = config.get().catalog_cache_seconds
        if ttl <= 0:
            return None
        with self._lock:
            if self._cache is None or self._cache.ttl != ttl:
                self._cache = TTLCache(maxsize=self.maxsize, ttl=ttl)
            return self._cache

    @property
    def enabled(self) -> bool:
        """Whether the cache is on (`CATALOG_CACHE_SECONDS` > 0)."""
        return config.get().catalog_cache_seconds > 0

    def get(self, key):
        """The live value under `key`, or None."""
        store = self._store()
        if store is None:
            return None
        with self._lock:
            return store.get(key)

    def put(self, key, value) -> None:
        """Keep `value` under `key` for the TTL (nothing when the cache is off)."""
        store = self._store()
        if store is not None:
            with self._lock:
                store[key] = value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            if self._cache is not None:
                self._cache.clear()
