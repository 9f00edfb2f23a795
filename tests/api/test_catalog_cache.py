"""The public catalog read cache: hits for anonymous reads, bypass for staff, cleared by writes."""

import dataclasses

import pytest

import config
from tests.factories import make_product, make_user, token_for


@pytest.fixture()
def cached(app, settings):
    config.override(dataclasses.replace(settings, catalog_cache_seconds=60))
    from web import cache

    cache.clear()
    yield
    cache.clear()
    config.override(settings)


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
