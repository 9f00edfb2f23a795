"""services.platform.catalog_ttl, the catalog cache: its two stores (in-process, Redis) behave
alike - generations, guarded puts, purges, sweeps - writes invalidate only once they commit,
an unreachable Redis never raises, and the cleanup task runs through the worker.

The Redis cases run against REDIS_URL or a redis:// TEST_BROKER_URL (`make test-pg`) and skip
without one."""

from __future__ import annotations

import dataclasses
import time

import pytest

import config
from models.db import atomic
from services.platform import catalog_ttl, jobs
from services.platform.catalog_memory import MemoryCatalogStore
from services.platform.catalog_redis import GENERATION_KEY, PREFIX, RedisCatalogStore
from tests.factories.redis import closed_port, redis_url
from workers.dispatch import dispatch


def clear_redis_entries(store: RedisCatalogStore) -> None:
    keys = list(store.client.scan_iter(match=PREFIX + "*"))
    if keys:
        store.client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def store(request):
    """A fresh store of each kind (the Redis one with no catalog key left in its database)."""
    if request.param == "memory":
        yield MemoryCatalogStore(maxsize=100)
        return
    found = RedisCatalogStore(redis_url())
    clear_redis_entries(found)
    yield found
    clear_redis_entries(found)


@pytest.fixture()
def cache_on(settings):
    """The catalog cache on (60 s) for this test, its current entries dead."""
    config.override(dataclasses.replace(settings, catalog_cache_seconds=60))
    catalog_ttl.invalidate()
    yield
    config.override(settings)


def test_an_entry_lives_in_its_generation_only(store):
    generation, value = store.lookup("products:/a")
    assert value is None
    store.put(generation, "products:/a", b"A", 60)
    assert store.lookup("products:/a") == (generation, b"A")
    assert store.bump() == generation + 1 == store.generation()
    assert store.lookup("products:/a") == (generation + 1, None)  # a bump kills every entry at once
    store.put(generation, "products:/a", b"stale", 60)  # read before the write: refused
    assert store.lookup("products:/a")[1] is None
    store.put(generation + 1, "products:/a", b"B", 60)
    assert store.lookup("products:/a")[1] == b"B"


def test_purge_deletes_matching_entries_and_counts_live_and_dead_ones(store):
    old = store.generation()
    store.put(old, "products:/api/v1/products", b"1", 60)
    new = store.bump()
    for name in ("products:/api/v1/products", "products:/api/v1/products/prod_1", "totals:abc"):
        store.put(new, name, b"x", 60)
    assert store.purge("products:/api/v1/products/*") == (1, 0)
    assert store.lookup("products:/api/v1/products/prod_1")[1] is None
    assert store.lookup("totals:abc")[1] == b"x"
    assert store.purge("products:*") == (1, 1)  # the live list answer, and the dead one of `old`
    assert store.purge(None) == (1, 0)  # totals:abc; and a new generation
    assert store.generation() == new + 1
    assert store.purge(None) == (0, 0)


def test_the_in_process_sweep_removes_old_generations_and_expired_entries():
    store = MemoryCatalogStore(maxsize=100)
    first = store.generation()
    store.put(first, "products:/expired", b"e", 1)
    time.sleep(0.6)
    store.put(first, "products:/old", b"o", 1)  # (a put reclaims what expired before it)
    second = store.bump()
    store.put(second, "products:/live", b"l", 1)
    time.sleep(0.5)  # /expired has expired, unreclaimed; /old and /live have not
    assert store.sweep() == {"removedOldGeneration": 1, "removedOrphans": 1, "kept": 1}
    assert store.lookup("products:/live")[1] == b"l"
    assert store.sweep() == {"removedOldGeneration": 0, "removedOrphans": 0, "kept": 1}


def test_the_redis_sweep_removes_old_generations_and_orphans():
    store = RedisCatalogStore(redis_url())
    clear_redis_entries(store)
    first = store.generation()
    store.put(first, "products:/old", b"o", 60)
    second = store.bump()
    store.put(second, "products:/live", b"l", 60)
    store.client.set(f"{PREFIX}{second}:products:/forever", b"no expiry")  # nothing would ever remove it
    store.client.set(f"{PREFIX}junk", b"not an entry")
    assert store.sweep() == {"removedOldGeneration": 1, "removedOrphans": 2, "kept": 1}
    assert store.lookup("products:/live")[1] == b"l"
    assert not store.client.exists(f"{PREFIX}{first}:products:/old", f"{PREFIX}junk",
                                   f"{PREFIX}{second}:products:/forever")
    assert store.sweep() == {"removedOldGeneration": 0, "removedOrphans": 0, "kept": 1}
    clear_redis_entries(store)


def test_a_missing_redis_generation_is_seeded_from_the_clock():
    store = RedisCatalogStore(redis_url())
    store.bump()
    store.client.delete(GENERATION_KEY)  # a flushed or evicted key
    seeded = store.generation()
    assert seeded > 10 ** 15  # microseconds since the epoch: never back to a small, reused value
    assert store.bump() == seeded + 1


def test_a_write_invalidates_when_it_commits_and_a_rollback_does_not(db, settings):
    before = catalog_ttl._guarded().store.generation()
    with atomic():
        catalog_ttl.invalidate_after_commit()
        assert catalog_ttl._guarded().store.generation() == before  # not yet: the write may roll back
    after = catalog_ttl._guarded().store.generation()
    assert after > before
    with pytest.raises(RuntimeError):
        with atomic():
            catalog_ttl.invalidate_after_commit()
            raise RuntimeError("rolled back")
    assert catalog_ttl._guarded().store.generation() == after


def test_the_cache_follows_the_settings(db, settings, cache_on):
    found = catalog_ttl.lookup("products:/x")
    assert found.available and found.value is None
    catalog_ttl.keep(found, b"X")
    assert catalog_ttl.lookup("products:/x").value == b"X"
    catalog_ttl.invalidate()
    assert catalog_ttl.lookup("products:/x").value is None
    config.override(dataclasses.replace(settings, catalog_cache_seconds=0))
    assert not catalog_ttl.lookup("products:/x").available  # off: nothing read, nothing kept


def test_an_unreachable_redis_reads_the_database_and_never_raises(db, settings, caplog):
    config.override(dataclasses.replace(settings, catalog_cache_seconds=60,
                                        redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    try:
        started = time.monotonic()
        found = catalog_ttl.lookup("products:/x")
        assert not found.available
        catalog_ttl.keep(found, b"X")
        catalog_ttl.invalidate()
        with atomic():
            catalog_ttl.invalidate_after_commit()
        assert catalog_ttl.purge("products:*")["available"] is False
        assert catalog_ttl.cleanup_catalog_cache(None, None, None)["available"] is False
        assert time.monotonic() - started < 3  # one refused connection, then skipped
        assert any("unreachable" in r.getMessage() for r in caplog.records)
    finally:
        config.override(settings)


class FlakyStore:
    kind = "flaky"
    shared = True
    errors = (ConnectionError,)

    def __init__(self):
        self.down = True
        self.bumps = 0

    def bump(self):
        if self.down:
            raise ConnectionError("down")
        self.bumps += 1

    def lookup(self, name):
        if self.down:
            raise ConnectionError("down")
        return 7, None


def test_after_an_outage_the_next_contact_bumps_the_generation_first(monkeypatch):
    monkeypatch.setattr(catalog_ttl, "RETRY_SECONDS", 0.0)
    flaky = FlakyStore()
    guarded = catalog_ttl._Guarded(flaky)
    assert guarded.run(lambda s: s.bump(), "skipped") == "skipped"  # a write's bump is lost
    flaky.down = False
    assert guarded.run(lambda s: s.lookup("products:/x"), None) == (7, None)
    assert flaky.bumps == 1  # the lost bump is made good before anything is read
    guarded.run(lambda s: s.lookup("products:/x"), None)
    assert flaky.bumps == 1


def test_the_cleanup_task_runs_through_the_worker(api, settings, cache_on):
    catalog_ttl.cleanup_catalog_cache(None, None, None)  # earlier tests' dead entries
    old = catalog_ttl.lookup("products:/old")
    catalog_ttl.keep(old, b"o")
    catalog_ttl.invalidate()
    live = catalog_ttl.lookup("products:/live")
    catalog_ttl.keep(live, b"l")
    with atomic():
        job = jobs.create_job("maintenance", {"task": "catalog_cache_cleanup"})
    dispatch(job)
    finished = api.wait_job(job.id)
    assert finished["state"] == "succeeded", finished
    result = finished["result"]
    assert result["task"] == "catalog_cache_cleanup" and result["available"] is True
    assert (result["removedOldGeneration"], result["kept"]) == (1, 1), result
    assert result["backend"] == ("redis" if settings.broker_url.startswith("redis") else "memory")
    assert catalog_ttl.lookup("products:/live").value == b"l"
