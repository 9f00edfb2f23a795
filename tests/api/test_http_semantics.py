"""HTTP semantics the API keeps: a 405 names the allowed methods, unknown query parameters are
rejected, and fixed words under /products and /orders are route misses, not missing resources."""

from __future__ import annotations

import pytest

from tests.factories import make_product, make_user, token_for


def assert_route_miss(status, body):
    """The generic 404 of an unknown URL (not a resource's own "... not found")."""
    assert status == 404, body
    assert body["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert "reason" not in body["error"], body
    assert "requested URL was not found" in body["error"]["message"]


@pytest.mark.parametrize("method, path, allowed", [
    ("PATCH", "/api/v1/orders", {"GET", "POST"}),
    ("TRACE", "/api/v1/cart/cart_x", {"GET", "DELETE"}),
    ("DELETE", "/api/v1/health", {"GET"}),
])
def test_every_405_carries_an_allow_header_in_the_envelope(api, method, path, allowed):
    status, body, headers = api.call(method, path)
    assert status == 405, body
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED" and body["error"]["requestId"]
    advertised = {m.strip() for m in headers["Allow"].split(",")}
    assert allowed <= advertised and advertised - allowed <= {"HEAD", "OPTIONS"}
    assert body["error"]["details"] == [{"field": "method", "message": f"Allowed: {headers['Allow']}"}]
