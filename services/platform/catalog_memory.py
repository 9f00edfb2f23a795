"""The catalog cache's in-process store (no Redis configured: embedded mode): a cachetools
TTLCache of `(generation, name) -> bytes`, the generation a counter of this process.

Used by `services.platform.catalog_ttl` only. It is correct when one process makes every
catalog write (embedded mode: the API, the worker threads and the scheduler thread share it);
a write in another process would not reach it, which is why production uses the Redis store
(`catalog_redis`). Thread-safe; never raises (`errors` is empty). Holds at most `maxsize`
entries (least recently used go first); the TTLCache is re-created, empty, when the TTL changes.
"""

from __future__ import annotations

import threading
from fnmatch import fnmatchcase

from cachetools import TTLCache


class MemoryCatalogStore:
    """The store interface of `catalog_ttl` (`lookup`, `put`, `bump`, `generation`, `purge`, `sweep`)."""

    kind = "memory"
    shared = False  # entries of this process only
    errors: tuple = ()  # exceptions that mean "the store is unreachable": none

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._generation = 1
        self._cache: TTLCache | None = None

    def generation(self) -> int:
        """The current generation (starts at 1, +1 per `bump`)."""
        with self._lock:
            return self._generation

    def lookup(self, name: str) -> tuple[int, bytes | None]:
        """`(current generation, the live value of name in it or None)`."""
        with self._lock:
            value = self._cache.get((self._generation, name)) if self._cache is not None else None
            return self._generation, value

    def put(self, generation: int, name: str, value: bytes, ttl: int) -> None:
        """Keep `value` for `ttl` seconds, unless `generation` is no longer the current one
        (a write happened since the lookup: the value may predate it)."""
        with self._lock:
            if generation != self._generation:
                return
            if self._cache is None or self._cache.ttl != ttl:
                self._cache = TTLCache(maxsize=self.maxsize, ttl=ttl)
            self._cache[(generation, name)] = value

    def bump(self) -> int:
        """Start a new generation (every entry is dead at once); returns it."""
        with self._lock:
            self._generation += 1
            return self._generation

    def purge(self, pattern: str | None) -> tuple[int, int]:
        """Delete the entries whose name matches the glob `pattern` (every entry, and a new
        generation first, when None); returns `(live entries deleted, entries of older
        generations deleted)`."""
        with self._lock:
            live = self._generation
            if pattern is None:
                self._generation += 1
            if self._cache is None:
                return 0, 0
            self._cache.expire()
            doomed = [key for key in list(self._cache) if pattern is None or fnmatchcase(key[1], pattern)]
            for key in doomed:
                self._cache.pop(key, None)
            purged = sum(1 for key in doomed if key[0] == live)
            return purged, len(doomed) - purged

    def sweep(self) -> dict:
        """Delete expired entries and those of older generations: `{"removedOldGeneration",
        "removedOrphans" (expired but not yet reclaimed), "kept"}`."""
        with self._lock:
            if self._cache is None:
                return {"removedOldGeneration": 0, "removedOrphans": 0, "kept": 0}
            expired = len(self._cache.expire())
            old = [key for key in list(self._cache) if key[0] < self._generation]
            for key in old:
                self._cache.pop(key, None)
            return {"removedOldGeneration": len(old), "removedOrphans": expired, "kept": len(self._cache)}
