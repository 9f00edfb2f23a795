"""Bad inputs get a 4xx in the error envelope, never a 500 and never a partial write."""

import pytest

from models.carts import CartItem
from tests.factories import first_variant, make_product


def assert_envelope(status, body, expected_status):
    assert status == expected_status, body
    error = body["error"]
    assert error["code"] and error["message"] and error["requestId"]
    assert isinstance(error["details"], list)


@pytest.fixture()
def cart_and_product(api):
    product = make_product(stock=5)
    _, body, _ = api.post("/api/v1/cart", {})
    return body["data"]["id"], product


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "1", 10**12, None, True, [], {}])
def test_bad_quantities_are_422_and_write_nothing(api, cart_and_product, quantity):
    cart_id, product = cart_and_product
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items",
                               {"productId": product.id, "variantId": first_variant(product).id,
                                "quantity": quantity})
    assert_envelope(status, body, 422)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert any(d["field"] == "quantity" for d in body["error"]["details"]), body
    assert CartItem.select().count() == 0


def test_quantity_above_the_line_maximum_is_422(api, cart_and_product):
    cart_id, product = cart_and_product
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 100})
    assert_envelope(status, body, 422)


def test_more_than_in_stock_is_409_inventory_error(api, cart_and_product):
    cart_id, product = cart_and_product
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 6})
    assert_envelope(status, body, 409)
    assert body["error"]["code"] == "INVENTORY_ERROR"


def test_unknown_fields_are_rejected(api, cart_and_product):
    cart_id, product = cart_and_product
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items",
                               {"productId": product.id, "quantity": 1, "price": 1})
    assert_envelope(status, body, 422)
    assert body["error"]["details"][0]["field"] == "price"


def test_wrong_content_type_is_415(client, cart_and_product):
    cart_id, product = cart_and_product
    response = client.post(f"/api/v1/cart/{cart_id}/items", data=f"productId={product.id}&quantity=1",
                           content_type="application/x-www-form-urlencoded")
    assert_envelope(response.status_code, response.get_json(), 415)


def test_malformed_json_is_400(client, cart_and_product):
    cart_id, _ = cart_and_product
    response = client.post(f"/api/v1/cart/{cart_id}/items", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("query", ["limit=1000000", "limit=0", "page=0", "page=abc", "limit=-5"])
def test_bad_pagination_is_422(api, query):
    from tests.factories import make_user, token_for

    status, body, _ = api.get(f"/api/v1/orders?{query}", token=token_for(make_user()))
    assert_envelope(status, body, 422)


def test_unknown_cart_and_item_are_404(api, cart_and_product):
    cart_id, product = cart_and_product
    status, body, _ = api.get("/api/v1/cart/cart_doesnotexist")
    assert_envelope(status, body, 404)
    assert body["error"]["code"] == "RESOURCE_NOT_FOUND"
    status, body, _ = api.put(f"/api/v1/cart/{cart_id}/items/item_nope", {"quantity": 1})
    assert_envelope(status, body, 404)


def test_unknown_product_is_400(api, cart_and_product):
    cart_id, _ = cart_and_product
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": "prod_nope", "quantity": 1})
    assert_envelope(status, body, 400)


@pytest.mark.parametrize("change", [
    {"paymentMethod": "bitcoin"},
    {"shippingMethod": "teleport"},
    {"shippingAddress": {"firstName": "A", "lastName": "B", "country": "Jordan", "city": "Amman", "street": "x"}},
    {"billingAddress": 42},
    {"cartId": ""},
])
def test_bad_checkout_bodies_are_422(api, cart_and_product, change):
    from tests.factories import checkout_body

    cart_id, product = cart_and_product
    api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 1})
    status, body, _ = api.post("/api/v1/orders", {**checkout_body(cart_id), **change})
    assert_envelope(status, body, 422)


def test_same_day_outside_the_city_is_422(api, cart_and_product):
    from tests.factories import ADDRESS, checkout_body

    cart_id, product = cart_and_product
    api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 1})
    body = dict(checkout_body(cart_id), shippingMethod="same_day", shippingAddress=dict(ADDRESS, city="Irbid"))
    status, body, _ = api.post("/api/v1/orders", body)
    assert_envelope(status, body, 422)
    assert body["error"]["reason"] == "shipping_method_unavailable"


def test_long_idempotency_key_is_422(api, cart_and_product):
    from tests.factories import checkout_body

    cart_id, product = cart_and_product
    api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 1})
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Idempotency-Key": "k" * 256})
    assert_envelope(status, body, 422)


def test_unknown_route_and_method_use_the_envelope(api):
    status, body, _ = api.get("/api/v1/nope")
    assert_envelope(status, body, 404)
    status, body, _ = api.call("PATCH", "/api/v1/orders")
    assert_envelope(status, body, 405)


def test_nul_characters_are_rejected_everywhere(api, client):
    status, body, _ = api.post("/api/v1/auth/register", {"email": "nul@example.com", "password": "long-enough-1",
                                                         "lastName": "Smith\u0000"})
    assert_envelope(status, body, 422)
    assert body["error"]["details"][0]["field"] == "lastName"
    status, body, _ = api.get("/api/v1/products?search=ab%00c")
    assert_envelope(status, body, 400)
    status, body, _ = api.get("/api/v1/orders/ord_%00x")
    assert_envelope(status, body, 400)
    status, body, _ = api.post("/api/v1/cart", {"currency": "US\u0000"})
    assert_envelope(status, body, 422)
