"""`POST /api/v1/admin/cache/purge`: every catalog cache entry or the ones matching a glob, exact
counts, admins only, audit-logged, and an honest answer when Redis is unreachable."""

import dataclasses
import socket

import pytest

import config
from models.audit import AuditEntry
from tests.factories import assert_error, make_product, make_user, token_for

PURGE = "/api/v1/admin/cache/purge"


@pytest.fixture()
def filled(api, cached):
    """Two products; a list page (and its total: the page is not the whole list) and a product's
    page cached: three entries."""
    product = make_product(name="Brie", stock=5)
    make_product(name="Comte", stock=5)
    for path in ("/api/v1/products?limit=1", f"/api/v1/products/{product.id}"):
        assert api.get(path)[2]["X-Cache"] == "miss"
        assert api.get(path)[2]["X-Cache"] == "hit"
    return product


def test_a_purge_without_a_pattern_drops_every_entry(api, admin_token, settings, filled):
    status, body, _ = api.post(PURGE, token=admin_token)
    assert status == 200, body
    result = body["data"]
    assert (result["purged"], result["pattern"], result["available"]) == (3, None, True)
    assert result["backend"] == ("redis" if settings.broker_url.startswith("redis") else "memory")
    assert result["shared"] is (result["backend"] == "redis")
    assert api.get("/api/v1/products?limit=1")[2]["X-Cache"] == "miss"
    assert api.get(f"/api/v1/products/{filled.id}")[2]["X-Cache"] == "miss"
    assert api.post(PURGE, {}, token=admin_token)[1]["data"]["purged"] == 3  # the three just cached again
    assert api.post(PURGE, {}, token=admin_token)[1]["data"]["purged"] == 0


def test_a_pattern_purges_only_the_matching_entries(api, admin_token, filled):
    status, body, _ = api.post(PURGE, {"pattern": "products:/api/v1/products/*"}, token=admin_token)
    assert status == 200 and body["data"]["purged"] == 1 and body["data"]["pattern"] == "products:/api/v1/products/*"
    assert api.get(f"/api/v1/products/{filled.id}")[2]["X-Cache"] == "miss"
    assert api.get("/api/v1/products?limit=1")[2]["X-Cache"] == "hit"  # the list stays
    assert api.post(PURGE, {"pattern": "totals:*"}, token=admin_token)[1]["data"]["purged"] == 1
    assert api.post(PURGE, {"pattern": "nothing:*"}, token=admin_token)[1]["data"]["purged"] == 0


@pytest.mark.parametrize("role", ["customer", "courier", "staff"])
def test_only_admins_may_purge(api, cached, role):
    status, body, _ = api.post(PURGE, token=token_for(make_user(role=role)))
    assert_error(status, body, 403, "insufficient_role")
    status, body, _ = api.post(PURGE)
    assert_error(status, body, 401)


def test_a_bad_pattern_is_a_422(api, admin_token):
    status, body, _ = api.post(PURGE, {"pattern": ""}, token=admin_token)
    assert_error(status, body, 422)
    status, body, _ = api.post(PURGE, {"pattern": "x", "everything": True}, token=admin_token)
    assert_error(status, body, 422)


def test_a_purge_is_audit_logged(api, filled):
    admin = make_user(role="admin")
    assert api.post(PURGE, {"pattern": "products:*"}, token=token_for(admin))[0] == 200
    entry = AuditEntry.get(AuditEntry.action == f"POST {PURGE}")
    assert (entry.actor_id, entry.actor_role, entry.status) == (admin.id, "admin", 200)


def test_with_redis_unreachable_the_purge_says_so(api, admin_token, cached):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config.override(dataclasses.replace(config.get(), redis_url=f"redis://127.0.0.1:{port}/0"))
    status, body, _ = api.post(PURGE, token=admin_token)
    assert status == 200, body
    assert body["data"] == {"purged": 0, "removedOldGeneration": 0, "generation": None, "available": False,
                            "pattern": None, "backend": "redis", "shared": True}
