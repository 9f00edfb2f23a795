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


@pytest.mark.parametrize("path", ["/api/v1/products/compare", "/api/v1/products/bestsellers", "/api/v1/products/Search",
                                  "/api/v1/orders/statistics", "/api/v1/orders/nope/events",
                                  "/api/v1/products/search/reviews", "/api/v1/products/featured/related",
                                  "/api/v1/admin/fraud/orders/analytics/assessment"])
def test_fixed_words_in_id_routes_are_route_misses(api, admin_token, path):
    assert_route_miss(*api.get(path)[:2])
    assert_route_miss(*api.get(path, token=admin_token)[:2])


def test_other_methods_on_a_fixed_word_answer_as_that_route(api, admin_token):
    status, body, headers = api.put("/api/v1/products/stock-updates", {}, token=admin_token)
    assert status == 405 and {m.strip() for m in headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert_route_miss(*api.put("/api/v1/products/search/stock", {"adjustment": 1}, token=admin_token)[:2])
    status, _, headers = api.call("DELETE", "/api/v1/products/featured", token=admin_token)
    assert status == 405 and {m.strip() for m in headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert_route_miss(*api.call("DELETE", "/api/v1/products/compare", token=admin_token)[:2])


def test_ids_and_handles_still_read_as_products_and_orders(api):
    product = make_product(stock=1)
    status, body, _ = api.get(f"/api/v1/products/{product.id}")
    assert status == 200 and body["data"]["id"] == product.id
    status, body, _ = api.get(f"/api/v1/products/{product.handle}")
    assert status == 200 and body["data"]["id"] == product.id
    status, body, _ = api.get("/api/v1/products/no-such-handle")
    assert status == 404 and body["error"]["reason"] == "product_not_found"
    status, body, _ = api.get("/api/v1/orders/ord_doesnotexist")
    assert status == 404 and body["error"]["reason"] == "order_not_found"


def test_every_fixed_route_under_products_is_a_reserved_word(app):
    from web.routing import RESERVED_PRODUCT_WORDS

    prefix = "/api/v1/products/"
    fixed = {rule.rule[len(prefix):].split("/")[0] for rule in app.url_map.iter_rules()
             if rule.rule.startswith(prefix) and not rule.rule[len(prefix):].startswith("<")}
    assert fixed and fixed <= RESERVED_PRODUCT_WORDS


@pytest.mark.parametrize("path, methods", [
    ("/api/v1/products/trending", {"GET"}), ("/api/v1/products/stock-updates", {"GET"}),
    ("/api/v1/admin/fraud/rules/reorder", {"POST"}), ("/api/v1/products/prod_x", {"GET", "PUT", "DELETE"}),
    ("/api/v1/orders/events", {"GET"}),
])
def test_options_lists_exactly_the_methods_of_that_path(client, path, methods):
    response = client.open(path, method="OPTIONS")
    assert {m.strip() for m in response.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"} == methods


@pytest.mark.parametrize("path", ["/api/v1/jobs/failed", "/api/v1/cart/items", "/api/v1/reviews/mine",
                                  "/api/v1/admin/fraud/rules/defaults", "/api/v1/notifications/unread/read",
                                  "/api/v1/admin/ml/fraud/models/active"])
def test_ids_of_every_kind_have_their_prefix_so_fixed_words_are_route_misses(api, admin_token, path):
    assert_route_miss(*api.get(path, token=admin_token)[:2])


def test_a_product_cannot_take_a_reserved_word_as_its_handle(api, admin_token):
    status, body, _ = api.post("/api/v1/products", {"name": "Search", "handle": "search",
                                                    "variants": [{"price": 100}]}, token=admin_token)
    assert status == 422, body
    assert body["error"]["details"][0]["field"] == "handle"


def test_an_unknown_query_parameter_is_400_and_named(api):
    make_product(stock=1)
    status, body, _ = api.get("/api/v1/products?flavour=nutty&limit=5&colour=red&flavour=x")
    assert status == 400, body
    error = body["error"]
    assert (error["code"], error["reason"]) == ("VALIDATION_ERROR", "unknown_query_parameters")
    assert [d["field"] for d in error["details"]] == ["flavour", "colour"]
    assert error["details"][0]["message"].startswith("Unknown field.")


def test_documented_query_parameters_are_still_read(api):
    make_product(stock=1)
    status, body, _ = api.get("/api/v1/products?limit=5&sortBy=price&sortOrder=asc&page=1")
    assert status == 200 and body["pagination"]["limit"] == 5


@pytest.mark.parametrize("path", ["/api/v1/health?verbose=1", "/api/v1/auth/me?x=", "/api/v1/cart/cart_x?expand=items",
                                  "/api/v1/products/stock-updates?productIds=prod_a&since=1"])
def test_operations_without_that_query_parameter_reject_it_too(api, path):
    token = token_for(make_user())
    status, body, _ = api.get(path, token=token)
    assert status == 400, body
    assert body["error"]["reason"] == "unknown_query_parameters"


def test_an_unknown_query_parameter_is_reported_before_authentication(api):
    status, body, _ = api.get("/api/v1/admin/jobs/failed?owner=me")
    assert status == 400 and body["error"]["reason"] == "unknown_query_parameters"


def test_routes_outside_the_document_ignore_query_strings(client):
    assert client.get("/api/v1/openapi.json?cache=1").status_code == 200
    assert client.get("/api/v1/docs/assets/swagger-ui.css?v=5").status_code == 200
