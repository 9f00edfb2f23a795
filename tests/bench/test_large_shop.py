"""The bulk-seeded large shop (bench.large_shop) writes rows the application can read: run on
PostgreSQL (its SQL is PostgreSQL's), with a few rows of each table."""

from __future__ import annotations

import pytest

from bench.large_shop import seed_large_shop
from models.catalog import Warehouse
from services import catalog


def test_a_small_large_shop_is_sellable_from_the_default_warehouse(db, backend, settings):
    if not backend["postgres"]:
        pytest.skip("bench.large_shop writes PostgreSQL SQL (make test-pg runs this)")
    result = seed_large_shop(settings.database_url, products=20, customers=5, orders=10, sample=3)
    assert (result["products"], result["orders"]) == (20, 10)
    default = Warehouse.get_by_id(catalog.DEFAULT_WAREHOUSE_ID)
    assert (default.regions, default.priority, default.active) == (["*"], 0, True)
    variant_id = result["sample"][0]["variantId"]
    assert catalog.stock_levels([variant_id]) == {variant_id: 1000}
