"""The catalog cache: entries of `CATALOG_CACHE_SECONDS` (default 300; 0 turns it off) behind the
catalog's response cache (web.cache: anonymous product list and detail reads) and its list totals
(services.catalog.list_totals), invalidated by every catalog write, in every process.

(The module keeps the name it had when it was a per-process TTL cache: it is the one the
platform publishes.)

Store, chosen by configuration only (`live.redis_url_for`: `REDIS_URL`, else a `redis://`
`BROKER_URL`):

- **Redis** (`catalog_redis`; production, `make test-pg`): one set of entries for every API,
  worker and scheduler process;
- **in-process** (`catalog_memory`; embedded mode: no Redis, `stub://` broker): a cachetools
  TTLCache, correct because that one process makes every write.

Invalidation is by generation: entries are keyed by name *and* the current generation, and a
write bumps the generation (`INCR cartwheel:catalog:generation` in Redis), which kills every
entry at once for every process, whatever the TTL. Writers call `invalidate_after_commit()`
inside their transaction (services.catalog: product create/update/upsert/archive, every stock
change - checkout, cancellations, staff adjustments, imports - and reviews); the bump runs when
the transaction commits (peewee `after_commit`; a rollback bumps nothing). A reader keeps what
it computed under the generation it read *before* reading the database, and the store refuses
it once the generation moved on, so a value read before a write never outlives it. The bump
happens whatever `CATALOG_CACHE_SECONDS` says in the writing process (a worker may run with the
cache off while the API processes have it on).

Names: `products:<path>[?<query>]` (web.cache responses), `totals:<sha256>` (list totals); a
purge pattern is a glob over them (`products:*`).

Outages: a Redis error is logged (once per `RETRY_SECONDS`) and Redis is skipped for
`RETRY_SECONDS`: lookups answer "unavailable" (the caller reads the database, nothing is kept),
bumps are skipped. After any failure the next successful contact bumps the generation first, so
writes made while Redis was unreachable (or whose bump failed) cannot leave stale entries
behind; the worst case left is a process that never contacts Redis again, bounded by the TTL.
Nothing here raises for Redis.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from typing import Callable

import config
from models.db import database
from services.platform import live
from services.platform.catalog_memory import MemoryCatalogStore
from services.platform.catalog_redis import RedisCatalogStore

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # after a Redis failure, the cache is skipped for this long
MEMORY_MAXSIZE = 5120  # entries of the in-process store (responses and totals)


@dataclasses.dataclass(frozen=True)
class Lookup:
    """What `lookup(name)` found: `value` (bytes) or None; `generation` None when the cache is
    off or unreachable (the caller reads the database and `keep` does nothing)."""

    name: str
    generation: int | None
    value: bytes | None

    @property
    def available(self) -> bool:
        return self.generation is not None


class _Guarded:
    """A store behind a circuit breaker: `run(action, default)` calls `action(store)`, or answers
    `default` while the store is known to be down and when it raises one of its `errors`."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._suspect = False  # a failure happened: bump once Redis answers again

    def run(self, action: Callable, default):
        if time.monotonic() < self._down_until:
            self._suspect = True
            return default
        try:
            if self._suspect:
                self.store.bump()
                self._suspect = False
                log.info("catalog cache: %s answers again; generation bumped", self.store.kind)
            return action(self.store)
        except self.store.errors as exc:
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + RETRY_SECONDS
                self._suspect = True
            if first:
                log.warning("catalog cache: %s unreachable (%s); reading the database for %.0fs", self.store.kind,
                            exc, RETRY_SECONDS)
            return default


_memory = MemoryCatalogStore(MEMORY_MAXSIZE)
_guards: dict[str, _Guarded] = {}
_guards_lock = threading.Lock()


def _guarded() -> _Guarded:
    """The (guarded) store for the current settings: one per Redis URL per process, or the in-process one."""
    url = live.redis_url_for(config.get())
    with _guards_lock:
        found = _guards.get(url)
        if found is None:
            found = _guards[url] = _Guarded(RedisCatalogStore(url) if url else _memory)
        return found


def ttl_seconds() -> int:
    """`CATALOG_CACHE_SECONDS`: how long an entry lives (0: the cache is off)."""
    return config.get().catalog_cache_seconds


def enabled() -> bool:
    """Whether lookups and keeps happen (`CATALOG_CACHE_SECONDS` > 0). Invalidation always does."""
    return ttl_seconds() > 0


def lookup(name: str) -> Lookup:
    """The live entry `name` of the current generation. Never raises."""
    if not enabled():
        return Lookup(name, None, None)
    return _guarded().run(lambda store: Lookup(name, *store.lookup(name)), Lookup(name, None, None))


def keep(found: Lookup, value: bytes) -> None:
    """Keep `value` under `found.name` for `CATALOG_CACHE_SECONDS`, in the generation `found` was
    read in (dropped if a write bumped it since, or when the cache is off/unreachable)."""
    if found.generation is None or not enabled():
        return
    _guarded().run(lambda store: store.put(found.generation, found.name, value, ttl_seconds()), None)


def invalidate() -> None:
    """Start a new generation now: every entry is dead, in every process. Never raises."""
    try:
        _guarded().run(lambda store: store.bump(), None)
    except Exception:  # noqa: BLE001 - a cache must never fail the write it follows
        log.exception("catalog cache: invalidation failed")


def invalidate_after_commit() -> None:
    """`invalidate()` when the current transaction commits (at once outside a transaction); call
    it in every catalog write."""
    database.after_commit(invalidate)


def purge(pattern: str | None = None) -> dict:
    """Delete every entry (a new generation too), or those whose name matches the glob `pattern`
    (`products:*`, `totals:*`, `products:/api/v1/products/prod_1*`), of every generation.

    Returns `{"purged": entries of the current generation deleted, "removedOldGeneration": dead
    entries of older generations deleted, "pattern", "generation": the generation now (None when
    unreachable), "backend": "redis" | "memory", "shared": whether every process's entries were
    reached (false in-process: this process only), "available": false when Redis is unreachable
    (nothing deleted; the generation is bumped as soon as it answers again)}`. Never raises.
    """
    guarded = _guarded()

    def do(store) -> dict:
        purged, older = store.purge(pattern)
        return {"purged": purged, "removedOldGeneration": older, "generation": store.generation(), "available": True}

    outcome = guarded.run(do, {"purged": 0, "removedOldGeneration": 0, "generation": None, "available": False})
    return {**outcome, "pattern": pattern, "backend": guarded.store.kind, "shared": guarded.store.shared}


def cleanup_catalog_cache(job, ctx, now: dt.datetime) -> dict:
    """The `catalog_cache_cleanup` maintenance task: remove entries of older generations and
    orphans early (Redis: keys without an expiry or that are not entries; in-process: expired
    entries not yet reclaimed), rather than waiting for their TTL. Result: `{"backend",
    "generation", "removedOldGeneration", "removedOrphans", "kept", "available"}`; with Redis
    unreachable, zeros and `available: false` (the job still succeeds: the next run catches up)."""
    guarded = _guarded()

    def do(store) -> dict:
        swept = store.sweep()
        return {**swept, "generation": store.generation(), "available": True}

    outcome = guarded.run(do, {"removedOldGeneration": 0, "removedOrphans": 0, "kept": 0, "generation": None,
                               "available": False})
    return {"backend": guarded.store.kind, **outcome}
