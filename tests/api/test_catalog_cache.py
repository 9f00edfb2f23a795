"""The public catalog read cache: hits for anonymous reads, bypass for staff, invalidated by every
write - through another app instance, in another process (Redis), by a checkout in the worker, by
a review - and database reads when Redis is unreachable (the `cached` fixture,
tests/api/conftest.py, turns it on)."""

import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import config
from services.platform import live
from tests.factories import ApiClient, checkout_body, fill_cart, make_product, make_user, token_for
from tests.factories.catalog import approve_review

ROOT = Path(__file__).resolve().parents[2]


def test_anonymous_reads_are_cached_and_a_write_clears_them(api, cached):
    product = make_product(name="Brie", price=900, stock=5)
    admin = make_user(role="admin")
    assert api.get("/api/v1/products")[2]["X-Cache"] == "miss"
    status, body, headers = api.get("/api/v1/products")
    assert status == 200 and headers["X-Cache"] == "hit" and body["data"][0]["name"] == "Brie"
    assert api.get(f"/api/v1/products/{product.id}")[2]["X-Cache"] == "miss"
    status, _, _ = api.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token_for(admin))
    assert status == 200
    status, body, headers = api.get("/api/v1/products")
    assert headers["X-Cache"] == "miss" and body["data"][0]["name"] == "Comte"


def test_authenticated_reads_bypass_the_cache(api, cached):
    make_product(stock=5)
    token = token_for(make_user())
    api.get("/api/v1/products")
    assert "X-Cache" not in api.get("/api/v1/products", token=token)[2]


def test_errors_are_not_cached(api, cached):
    assert api.get("/api/v1/products/prod_missing")[0] == 404
    assert "X-Cache" not in api.get("/api/v1/products/prod_missing")[2]


def test_pages_of_one_filter_set_share_one_count_until_a_write(api, cached, monkeypatch):
    from models.db import database

    for i in range(3):
        make_product(name=f"Gouda {i}", price=500 + i, stock=5)
    counts = []
    real = database.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT COUNT("):
            counts.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", recording)
    for page in (1, 2, 3):
        status, body, _ = api.get(f"/api/v1/products?limit=1&page={page}")
        assert status == 200 and body["pagination"]["total"] == 3
    assert len(counts) == 1  # pages 2 and 3 reuse page 1's total
    staff = token_for(make_user(role="admin"))
    for _ in range(2):
        assert api.get("/api/v1/products?limit=1&page=2&status=draft", token=staff)[1]["pagination"]["total"] == 0
    assert len(counts) == 3  # staff lists (drafts) are counted exactly, every time
    status, _, _ = api.post("/api/v1/products", {"name": "Edam", "variants": [{"name": "500g", "sku": "EDAM-500", "price": 700, "inventoryCount": 1}]},
                            token=staff)
    assert status == 201
    assert api.get("/api/v1/products?limit=1&page=3")[1]["pagination"]["total"] == 4


# --------------------------------------------------------------------------- shared, invalidated everywhere

def test_the_cache_is_on_for_five_minutes_by_default():
    assert config.load({"SECRET_KEY": "s" * 40}).catalog_cache_seconds == 300


def test_a_second_app_instance_reads_the_same_entries_and_sees_the_first_ones_writes(app, cached):
    from web import create_app

    product = make_product(name="Brie", stock=5)
    other = ApiClient(create_app(config.get()).test_client())
    first = ApiClient(app.test_client())
    assert first.get("/api/v1/products")[2]["X-Cache"] == "miss"
    assert other.get("/api/v1/products")[2]["X-Cache"] == "hit"
    status, _, _ = first.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token_for(make_user(role="admin")))
    assert status == 200
    status, body, headers = other.get("/api/v1/products")
    assert headers["X-Cache"] == "miss" and body["data"][0]["name"] == "Comte"


LOOKUP_AND_WRITE = """
import sys

import config
from models.db import init_database
from services import catalog
from services.platform import catalog_ttl

init_database(config.get().database_url)
name, product_id = sys.argv[1:3]
print("shared" if catalog_ttl.lookup(name).value is not None else "not shared")
catalog.update_product(product_id, {"name": "Renamed elsewhere"})
print("gone" if catalog_ttl.lookup(name).value is None else "still there")
"""


def test_entries_are_shared_with_another_process_and_its_writes_invalidate_ours(api, settings, cached):
    if not live.redis_url_for(settings):
        pytest.skip("the cache is per process without Redis (REDIS_URL / a redis:// broker)")
    product = make_product(name="Brie", stock=5)
    assert api.get("/api/v1/products")[2]["X-Cache"] == "miss"
    env = {**os.environ, "CARTWHEEL_ENV": "test", "DATABASE_URL": settings.database_url,
           "BROKER_URL": settings.broker_url, "REDIS_URL": settings.redis_url, "SECRET_KEY": settings.secret_key,
           "CATALOG_CACHE_SECONDS": "60"}
    done = subprocess.run([sys.executable, "-c", LOOKUP_AND_WRITE, "products:/api/v1/products", product.id],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["shared", "gone"], done.stdout
    status, body, headers = api.get("/api/v1/products")
    assert headers["X-Cache"] == "miss" and body["data"][0]["name"] == "Renamed elsewhere"


def test_a_checkout_in_the_worker_invalidates_the_cached_stock(api, cached):
    product = make_product(stock=5)
    path = f"/api/v1/products/{product.id}"
    cart_id = fill_cart(api, product, quantity=2)
    assert api.get(path)[2]["X-Cache"] == "miss"
    status, body, headers = api.get(path)
    assert headers["X-Cache"] == "hit" and body["data"]["variants"][0]["inventoryCount"] == 5
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert status == 202, body
    assert api.wait_job(body["data"]["id"])["state"] == "succeeded"  # the worker took the stock
    status, body, headers = api.get(path)
    assert headers["X-Cache"] == "miss" and body["data"]["variants"][0]["inventoryCount"] == 3


def test_an_approved_review_invalidates_the_cached_rating_summary(api, cached):
    product = make_product(stock=5)
    path = f"/api/v1/products/{product.id}"
    api.get(path)
    assert api.get(path)[2]["X-Cache"] == "hit"
    status, body, _ = api.post(f"{path}/reviews", {"rating": 4}, token=token_for(make_user()))
    assert status == 201, body
    assert api.get(path)[1]["data"]["reviews"]["totalReviews"] == 0  # pending: not counted yet
    approve_review(body["data"]["id"])
    status, body, headers = api.get(path)
    assert headers["X-Cache"] == "miss" and body["data"]["reviews"]["totalReviews"] == 1


def test_an_unreachable_redis_reads_the_database(api, settings, cached):
    product = make_product(name="Brie", stock=5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    config.override(dataclasses.replace(config.get(), redis_url=f"redis://127.0.0.1:{port}/0"))
    status, body, headers = api.get("/api/v1/products")
    assert status == 200 and body["data"][0]["name"] == "Brie" and "X-Cache" not in headers
    status, _, _ = api.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token_for(make_user(role="admin")))
    assert status == 200  # the write stands; its invalidation waits for Redis
    status, body, _ = api.get(f"/api/v1/products/{product.id}")
    assert status == 200 and body["data"]["name"] == "Comte"
