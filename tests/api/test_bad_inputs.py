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


NESTINGS = {  # JSON nested `levels` deep, three ways
    "arrays": lambda levels: "[" * levels + "]" * levels,
    "arrays in a field": lambda levels: '{"currency": ' + "[" * levels + "]" * levels + "}",
    "objects": lambda levels: '{"a": ' * levels + "{}" + "}" * levels,
}


JSON_ROUTES = [  # with a schema, without one (the webhook), anonymous and admin-only
    ("POST", "/api/v1/cart"),
    ("POST", "/api/v1/auth/register"),
    ("PUT", "/api/v1/users/me/notification-preferences"),
    ("POST", "/api/v1/products"),
    ("POST", "/api/v1/webhooks/stripe"),
    ("POST", "/api/v1/orders"),
]


@pytest.mark.parametrize("method, path", JSON_ROUTES)
@pytest.mark.parametrize("nesting", NESTINGS)
@pytest.mark.parametrize("levels", [490, 100_000])
def test_json_nested_too_deeply_is_400_on_every_json_route_and_writes_nothing(client, admin_token, method, path,
                                                                              nesting, levels):
    from models.carts import Cart
    from models.users import User

    users = User.select().count()
    response = client.open(path, method=method, data=NESTINGS[nesting](levels), content_type="application/json",
                           headers={"Authorization": f"Bearer {admin_token}", "Stripe-Signature": "t=1,v1=x"})
    body = response.get_json()
    assert_envelope(response.status_code, body, 400)
    assert body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["reason"] == "json_too_deep"
    assert Cart.select().count() == 0 and User.select().count() == users


def test_json_as_deep_as_the_limit_is_parsed_normally(api):
    from web.request_checks import MAX_JSON_DEPTH

    nested = {}
    for _ in range(MAX_JSON_DEPTH - 2):
        nested = {"a": nested}
    status, body, _ = api.post("/api/v1/cart", {"currency": "USD", "x": nested})
    assert_envelope(status, body, 422)  # read: the unknown field `x` is reported, not the depth
    assert body["error"]["details"][0]["field"] == "x"


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    name = "[" * 60 + "{" * 30 + '\\"['
    status, body, _ = api.post("/api/v1/auth/register", {"email": "brackets@example.com", "password": "long-enough-1",
                                                         "lastName": name})
    assert status == 201, body
    assert body["data"]["user"]["lastName"] == name


@pytest.mark.parametrize("raw", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"', '"\\\\\\ud800"'])
def test_lone_surrogates_in_a_json_body_are_422_and_write_nothing(client, raw):
    from models.users import User

    data = '{"email": "lone@example.com", "password": "long-enough-1", "lastName": %s}' % raw
    response = client.post("/api/v1/auth/register", data=data, content_type="application/json")
    body = response.get_json()
    assert_envelope(response.status_code, body, 422)
    assert body["error"]["details"] == [{"field": "lastName", "message": "Must not contain unpaired surrogates"}]
    assert User.select().count() == 0


def test_lone_surrogates_in_keys_and_in_bodies_of_routes_without_a_schema_are_rejected(client):
    from models.carts import Cart

    response = client.post("/api/v1/cart", data='{"\\ud83d": "x"}', content_type="application/json")
    assert_envelope(response.status_code, response.get_json(), 422)
    assert Cart.select().count() == 0
    response = client.post("/api/v1/webhooks/stripe", data='{"type": "x\\ud800"}', content_type="application/json",
                           headers={"Stripe-Signature": "t=1,v1=x"})
    body = response.get_json()
    assert_envelope(response.status_code, body, 422)
    assert body["error"]["details"][0]["field"] == "type"


def test_paired_surrogates_are_an_ordinary_character(api):
    status, body, _ = api.post("/api/v1/auth/register", {"email": "emoji@example.com", "password": "long-enough-1",
                                                         "lastName": "Smith \U0001F600"})
    assert status == 201, body
    assert body["data"]["user"]["lastName"] == "Smith \U0001F600"


def test_the_schema_check_rejects_lone_surrogates_too():
    from web.auth import RegisterSchema

    with pytest.raises(Exception) as caught:
        RegisterSchema().load({"email": "a@example.com", "password": "long-enough-1", "firstName": "\udc00"})
    assert caught.value.messages == {"firstName": ["Must not contain unpaired surrogates"]}
