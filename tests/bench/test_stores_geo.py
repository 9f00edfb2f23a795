"""The bulk-seeded stores of the `stores_nearby` bench scenario (bench.stores_geo) are stores the
application reads and the nearby search finds, nearest first, each within its own radius; and the
search over 10,000 of them stays on the bounding box (PostgreSQL: its SQL is PostgreSQL's)."""

from __future__ import annotations

import time

import pytest

from bench.stores_geo import CENTRE, seed_stores
from models.catalog import Store
from services import content


def test_bulk_stores_are_found_nearest_first_within_their_radius(db, backend, settings):
    if not backend["postgres"]:
        pytest.skip("bench.stores_geo writes PostgreSQL SQL (make test-pg runs this)")
    assert seed_stores(settings.database_url, count=10_000)["stores"] == 10_000
    assert content.store_view(Store.get_by_id("store_bulk1"))["location"]["city"] == "Berlin"
    started = time.perf_counter()
    found, total = content.nearby_stores(*CENTRE, 3.0, 1, 20)
    elapsed = time.perf_counter() - started
    distances = [distance for _, distance in found]
    assert total > 20 and distances == sorted(distances) and distances[-1] <= 3.0
    assert all(distance <= store.delivery_radius_km for store, distance in found)
    assert elapsed < 1.0  # reads the box's few hundred rows, never the 10,000
