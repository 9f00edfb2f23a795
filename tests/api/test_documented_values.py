"""What the OpenAPI document says a value may be is what the server accepts: no NUL anywhere,
integers as JSON Schema counts them, "exactly one of" rules, the shop currency, patterns for
comma-separated lists and image URLs, optional bodies."""

from __future__ import annotations

import re

import pytest

from tests.factories import first_variant, make_product, make_user, token_for


@pytest.fixture()
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def schema(spec, name):
    return spec["components"]["schemas"][name]


def parameter(spec, path, method, name):
    operation = spec["paths"][path][method]
    every = [*spec["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    return next(p for p in every if p["name"] == name)


def test_every_documented_string_and_object_key_excludes_nul(spec):
    register = schema(spec, "Register")["properties"]
    assert register["password"]["pattern"] == "^[^\\u0000]*$"
    assert schema(spec, "ProductCreate")["properties"]["attributes"]["propertyNames"] == {"pattern": "^[^\\u0000]*$"}
    assert parameter(spec, "/api/v1/products", "get", "search")["schema"]["pattern"] == "^[^\\u0000]*$"
    assert parameter(spec, "/api/v1/wishlist/shared/{token}", "get", "token")["schema"]["pattern"] == "^[^/\\u0000]+$"
    # a documented pattern of its own already excludes NUL, and formats say what they allow
    assert schema(spec, "Address")["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    assert "pattern" not in register["email"]


def test_ids_in_paths_are_documented_with_their_prefix(spec):
    assert parameter(spec, "/api/v1/cart/{cart_id}", "get", "cart_id")["schema"]["pattern"] == "^cart_[^/\\u0000]+$"
    assert parameter(spec, "/api/v1/orders/{order_id}/events", "get", "order_id")["schema"]["pattern"] \
        == "^ord_[^/\\u0000]+$"
    product = parameter(spec, "/api/v1/products/{product_id}", "get", "product_id")["schema"]
    assert "search" in product["not"]["enum"]


@pytest.mark.parametrize("quantity, expected", [(2.0, 2), (3, 3)])
def test_an_integer_with_a_zero_fraction_is_an_integer(api, quantity, expected):
    product = make_product(stock=5)
    _, body, _ = api.post("/api/v1/cart", {})
    status, body, _ = api.post(f"/api/v1/cart/{body['data']['id']}/items",
                               {"productId": product.id, "variantId": first_variant(product).id, "quantity": quantity})
    assert status == 200, body
    assert body["data"]["items"][0]["quantity"] == expected


def test_a_cart_needs_no_body_and_says_so(client, spec):
    assert spec["paths"]["/api/v1/cart"]["post"]["requestBody"].get("required", False) is False
    response = client.post("/api/v1/cart")
    assert response.status_code == 201 and response.get_json()["data"]["currency"] == "USD"


def test_the_shop_currency_is_documented_and_any_case_of_it_accepted(api, spec):
    pattern = schema(spec, "CartCreate")["properties"]["currency"]["pattern"]
    assert re.fullmatch(pattern, "USD") and re.fullmatch(pattern, "usd") and not re.fullmatch(pattern, "EUR")
    assert schema(spec, "ProductCreate")["properties"]["currency"]["pattern"] == pattern
    assert api.post("/api/v1/cart", {"currency": "usd"})[0] == 201
    assert api.post("/api/v1/cart", {"currency": "EUR"})[0] == 422


def test_billing_address_is_documented_as_same_or_an_address(spec):
    billing = schema(spec, "OrderCreate")["properties"]["billingAddress"]
    assert billing["oneOf"] == [{"type": "string", "enum": ["same"]}, {"$ref": "#/components/schemas/Address"}]


def test_exactly_one_of_two_fields_is_documented_as_one_of(spec, api, admin_token):
    stock = schema(spec, "StockUpdate")
    assert stock["oneOf"] == [{"required": ["inventoryCount"]}, {"required": ["adjustment"]}]
    email = schema(spec, "NotificationEmailCreate")["oneOf"]
    assert [branch["required"] for branch in email] == [["userId"], ["to"]]
    status, body, _ = api.post("/api/v1/notifications/email", {"subject": "Hi", "message": "Hello",
                                                               "userId": None, "to": None}, token=admin_token)
    assert status == 422 and body["error"]["reason"] == "recipient_required"


def test_notification_categories_are_a_closed_set_and_the_body_is_optional(api, spec):
    categories = schema(spec, "NotificationCategories")
    assert categories["additionalProperties"] is False and "marketing" in categories["properties"]
    put = spec["paths"]["/api/v1/users/me/notification-preferences"]["put"]
    assert put["requestBody"].get("required", False) is False
    token = token_for(make_user())
    status, body, _ = api.put("/api/v1/users/me/notification-preferences", {"categories": {"weather": True}},
                              token=token)
    assert status == 422 and body["error"]["details"][0]["field"] == "categories.weather"
    status, body, _ = api.put("/api/v1/users/me/notification-preferences", {"categories": {"marketing": True}},
                              token=token)
    assert status == 200 and body["data"]["categories"]["marketing"] is True


@pytest.mark.parametrize("fields, ok", [("name,price", True), ("name", True), ("name,,price", False),
                                        ("name, price", False), (",name", False), ("secret", False)])
def test_fields_takes_exactly_its_documented_pattern(api, spec, fields, ok):
    make_product(stock=1)
    pattern = parameter(spec, "/api/v1/products", "get", "fields")["schema"]["pattern"]
    assert bool(re.fullmatch(pattern, fields)) is ok
    status, body, _ = api.get(f"/api/v1/products?fields={fields}")
    assert (status == 200) is ok, body


@pytest.mark.parametrize("ids, ok", [("prod_a", True), ("prod_a,prod_b", True), ("prod_a,,prod_b", False),
                                     ("prod_a, prod_b", False), (",".join(["prod_a"] * 51), False)])
def test_product_ids_take_exactly_their_documented_pattern(client, spec, ids, ok):
    from web.product_stock_updates import parse_product_ids
    from services.errors import ValidationFailed

    pattern = parameter(spec, "/api/v1/products/stock-updates", "get", "productIds")["schema"]["pattern"]
    assert bool(re.fullmatch(pattern, ids)) is ok
    if ok:
        assert parse_product_ids(ids)
    else:
        with pytest.raises(ValidationFailed):
            parse_product_ids(ids)


@pytest.mark.parametrize("url, ok", [("https://cdn.example.com/a.jpg", True), ("http://localhost:8000/x.png?v=1", True),
                                     ("http://127.0.0.1/i.png", True), ("ftp://example.com/a.jpg", False),
                                     ("https://", False), ("https://exa mple.com/a.jpg", False)])
def test_image_urls_take_exactly_their_documented_pattern(api, admin_token, spec, url, ok):
    pattern = schema(spec, "ImageInput")["properties"]["url"]["pattern"]
    assert bool(re.fullmatch(pattern, url)) is ok
    status, body, _ = api.post("/api/v1/products", {"name": "Pictured", "variants": [{"price": 100}],
                                                    "images": [{"url": url}]}, token=admin_token)
    assert (status == 201) is ok, body


def test_an_idempotency_key_is_documented_as_1_to_255_characters(spec):
    key = parameter(spec, "/api/v1/orders", "post", "Idempotency-Key")["schema"]
    assert (key["minLength"], key["maxLength"]) == (1, 255)


@pytest.mark.parametrize("value, ok", [(True, True), (False, True), (0, False), (1, False), ("true", False)])
def test_a_boolean_in_a_body_is_true_or_false_only(api, value, ok):
    status, body, _ = api.put("/api/v1/users/me/notification-preferences", {"categories": {"marketing": value}},
                              token=token_for(make_user()))
    assert (status == 200) is ok, body


@pytest.mark.parametrize("value, ok", [("true", True), ("false", True), ("1", False), ("yes", False), ("True", False)])
def test_a_boolean_in_a_query_is_true_or_false_only(api, value, ok):
    make_product(stock=1)
    status, body, _ = api.get(f"/api/v1/products?inStock={value}")
    assert (status == 200) is ok, body


def test_a_required_body_must_be_sent(api, admin_token, client, spec):
    product = make_product(stock=1)
    assert spec["paths"]["/api/v1/products/{product_id}"]["put"]["requestBody"]["required"] is True
    status, body, _ = api.put(f"/api/v1/products/{product.id}", token=admin_token)
    assert status == 422 and body["error"]["reason"] == "body_required"
    status, body, _ = api.put(f"/api/v1/products/{product.id}", {}, token=admin_token)
    assert status == 200  # an empty object is a body: nothing changes


@pytest.mark.parametrize("path", ["/api/v1/admin/ml/fraud/train", "/api/v1/recommendations/train"])
def test_training_takes_an_optional_body(api, admin_token, spec, path):
    assert spec["paths"][path]["post"]["requestBody"].get("required", False) is False
    status, body, _ = api.post(path, token=admin_token)
    assert status in (200, 202), body
