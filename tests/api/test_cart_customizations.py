"""Customizations (seed 001 "Price calculations with customizations") and wholesale prices
(seed 000) through the API: admins define a product's customizations and variants' wholesale
prices, customers choose customizations per cart line, checkout carries them into the order
line, its snapshot and the totals; admins put customers in the wholesale group."""

from __future__ import annotations

import datetime as dt

import pytest

from models.orders import OrderItem
from models.users import User
from tests.factories import assert_error, checkout_body, make_user, token_for

CUSTOMIZATIONS = [
    {"code": "card_message", "label": "Card message", "type": "text", "maxLength": 200, "price": 0},
    {"code": "vase", "label": "Vase", "type": "choice", "choices": [{"value": "glass", "label": "Glass vase",
                                                                     "price": 1500}]},
    {"code": "size_upgrade", "label": "Deluxe size", "type": "boolean", "price": 1000},
    {"code": "delivery_date", "label": "Delivery date", "type": "date", "required": True, "minLeadDays": 1,
     "maxAheadDays": 90},
]


def day(offset: int) -> str:
    return (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=offset)).isoformat()


def florist(api, admin_token, price=4500, stock=10, wholesale=None):
    status, body, _ = api.post("/api/v1/products", {
        "name": "Spring Bouquet", "customizations": CUSTOMIZATIONS,
        "variants": [{"price": price, "inventoryCount": stock, "wholesalePrice": wholesale}]}, token=admin_token)
    assert status == 201, body
    return body["data"]


def new_cart(api, token=None):
    status, body, _ = api.post("/api/v1/cart", {}, token=token)
    assert status == 201, body
    return body["data"]["id"]


def add(api, cart_id, product, customizations=None, quantity=1, token=None):
    payload = {"productId": product["id"], "variantId": product["variants"][0]["id"], "quantity": quantity}
    if customizations is not None:
        payload["customizations"] = customizations
    return api.post(f"/api/v1/cart/{cart_id}/items", payload, token=token)


CHOSEN = [{"code": "card_message", "value": "Happy birthday, Mum"}, {"code": "vase", "value": "glass"},
          {"code": "size_upgrade", "value": True}, {"code": "delivery_date", "value": day(2)}]


def test_a_product_defines_and_returns_its_customizations(api, admin_token):
    product = florist(api, admin_token, wholesale=3000)
    assert [c["code"] for c in product["customizations"]] == ["card_message", "vase", "size_upgrade",
                                                               "delivery_date"]
    assert product["customizations"][1]["choices"] == [{"value": "glass", "label": "Glass vase", "price": 1500}]
    assert product["variants"][0]["wholesalePrice"] == 3000
    assert product["pricing"] == {"base": 4500, "discounted": None, "wholesale": 3000}
    status, body, _ = api.get(f"/api/v1/products/{product['id']}")
    assert status == 200 and body["data"]["customizations"] == product["customizations"]
    status, body, _ = api.put(f"/api/v1/products/{product['id']}", {"customizations": []}, token=admin_token)
    assert status == 200 and body["data"]["customizations"] == []


@pytest.mark.parametrize("bad, field", [
    ([{"code": "vase", "label": "Vase", "type": "choice"}], "customizations.0.choices"),
    ([{"code": "a", "label": "A", "type": "text"}, {"code": "a", "label": "B", "type": "text"}],
     "customizations.1.code"),
    ([{"code": "a", "label": "A", "type": "sparkle"}], "customizations.0.type"),
    ([{"code": "a", "label": "A", "type": "text", "maxLength": "long"}], "customizations.0.maxLength"),
])
def test_bad_customization_definitions_answer_422(api, admin_token, bad, field):
    status, body, _ = api.post("/api/v1/products", {"name": "Bad", "customizations": bad,
                                                    "variants": [{"price": 100}]}, token=admin_token)
    assert_error(status, body, 422)
    assert field in {d["field"] for d in body["error"]["details"]}, body


def test_customers_cannot_define_customizations(api, admin_token):
    product = florist(api, admin_token)
    status, body, _ = api.put(f"/api/v1/products/{product['id']}", {"customizations": []},
                              token=token_for(make_user()))
    assert_error(status, body, 403)


def test_a_line_with_customizations_is_priced_with_them(api, admin_token):
    product = florist(api, admin_token)
    cart_id = new_cart(api)
    status, body, _ = add(api, cart_id, product, CHOSEN, quantity=2)
    assert status == 200, body
    [item] = body["data"]["items"]
    assert item["unitPrice"] == 4500 + 1500 + 1000 and item["totalPrice"] == 2 * 7000
    assert item["customizations"] == [
        {"code": "card_message", "label": "Card message", "value": "Happy birthday, Mum", "price": 0},
        {"code": "vase", "label": "Vase", "value": "glass", "price": 1500},
        {"code": "size_upgrade", "label": "Deluxe size", "value": True, "price": 1000},
        {"code": "delivery_date", "label": "Delivery date", "value": day(2), "price": 0}]
    assert body["data"]["subtotal"] == 14000 and body["data"]["tax"] == 1120
    assert body["data"]["total"] == 14000 + 1120 + 500


def test_two_lines_of_one_variant_and_a_quantity_update_that_keeps_them(api, admin_token):
    product = florist(api, admin_token)
    cart_id = new_cart(api)
    add(api, cart_id, product, CHOSEN)
    add(api, cart_id, product, [{"code": "delivery_date", "value": day(3)}])
    status, body, _ = add(api, cart_id, product, list(reversed(CHOSEN)))  # the same set: the same line
    assert status == 200, body
    items = body["data"]["items"]
    assert [i["quantity"] for i in items] == [2, 1] and body["data"]["itemCount"] == 3
    assert body["data"]["subtotal"] == 2 * 7000 + 4500
    status, body, _ = api.put(f"/api/v1/cart/{cart_id}/items/{items[1]['id']}", {"quantity": 4})
    assert status == 200, body
    line = body["data"]["items"][1]
    assert line["quantity"] == 4 and line["customizations"][0]["value"] == day(3) and line["unitPrice"] == 4500


@pytest.mark.parametrize("chosen, reason", [
    ([{"code": "ribbon", "value": "red"}, {"code": "delivery_date", "value": day(2)}], "unknown_customization"),
    ([{"code": "vase", "value": "glass"}], "customization_required"),
    ([{"code": "vase", "value": "crystal"}, {"code": "delivery_date", "value": day(2)}],
     "customization_choice_unavailable"),
    ([{"code": "card_message", "value": "x" * 201}, {"code": "delivery_date", "value": day(2)}],
     "customization_too_long"),
    ([{"code": "card_message", "value": "  "}, {"code": "delivery_date", "value": day(2)}], "customization_empty"),
    ([{"code": "delivery_date", "value": day(0)}], "customization_date_out_of_window"),
    ([{"code": "delivery_date", "value": day(91)}], "customization_date_out_of_window"),
    ([{"code": "delivery_date", "value": day(2)}, {"code": "delivery_date", "value": day(3)}],
     "duplicate_customization"),
    ([{"code": "delivery_date", "value": "next tuesday"}], "invalid_customization_value"),
])
def test_invalid_customizations_answer_422_and_write_nothing(api, admin_token, chosen, reason):
    product = florist(api, admin_token)
    cart_id = new_cart(api)
    status, body, _ = add(api, cart_id, product, chosen)
    assert_error(status, body, 422, reason)
    assert api.get(f"/api/v1/cart/{cart_id}")[1]["data"]["items"] == []


@pytest.mark.parametrize("chosen", [[{"code": "vase"}], [{"code": "vase", "value": 3}], "vase",
                                    [{"code": "vase", "value": "glass", "price": 0}]])
def test_malformed_customizations_answer_422(api, admin_token, chosen):
    product = florist(api, admin_token)
    status, body, _ = add(api, new_cart(api), product, chosen)
    assert_error(status, body, 422)


def test_another_customers_cart_is_not_found(api, admin_token):
    product = florist(api, admin_token)
    alice, bob = make_user(), make_user()
    cart_id = new_cart(api, token=token_for(alice))
    assert add(api, cart_id, product, CHOSEN, token=token_for(alice))[0] == 200
    status, body, _ = add(api, cart_id, product, CHOSEN, token=token_for(bob))
    assert_error(status, body, 404, "cart_not_found")
    assert_error(*api.get(f"/api/v1/cart/{cart_id}", token=token_for(bob))[:2], 404)


def test_checkout_carries_customizations_into_the_order(api, admin_token):
    product = florist(api, admin_token, stock=3)
    cart_id = new_cart(api)
    add(api, cart_id, product, CHOSEN)
    add(api, cart_id, product, [{"code": "delivery_date", "value": day(5)}], quantity=2)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order_id = body["data"]["result"]["orderId"]
    status, body, _ = api.get(f"/api/v1/orders/{order_id}")
    order = body["data"]
    assert order["subtotal"] == 7000 + 2 * 4500 and order["tax"] == 1280
    assert order["total"] == 16000 + 1280 + 500
    first, second = sorted(order["items"], key=lambda item: -len(item["customizations"]))  # ids are random
    assert first["unitPrice"] == 7000 and first["totalPrice"] == 7000
    assert [c["code"] for c in first["customizations"]] == ["card_message", "vase", "size_upgrade", "delivery_date"]
    assert second["customizations"] == [{"code": "delivery_date", "label": "Delivery date", "value": day(5),
                                         "price": 0}]
    snapshot = OrderItem.get_by_id(first["id"]).product_snapshot
    assert snapshot["customizations"] == first["customizations"] and snapshot["variant"]["price"] == 4500
    status, body, _ = api.get(f"/api/v1/products/{product['id']}")
    assert body["data"]["variants"][0]["inventoryCount"] == 0  # 1 + 2 units of the one variant


def test_checkout_refuses_two_lines_of_one_variant_beyond_its_stock(api, admin_token):
    product = florist(api, admin_token, stock=3)
    cart_id = new_cart(api)
    add(api, cart_id, product, CHOSEN, quantity=2)
    status, body, _ = add(api, cart_id, product, [{"code": "delivery_date", "value": day(5)}], quantity=2)
    assert_error(status, body, 409, "out_of_stock")


def test_checkout_refuses_customizations_the_product_no_longer_offers(api, admin_token):
    product = florist(api, admin_token)
    cart_id = new_cart(api)
    add(api, cart_id, product, CHOSEN)
    without_vase = [c for c in CUSTOMIZATIONS if c["code"] != "vase"]
    assert api.put(f"/api/v1/products/{product['id']}", {"customizations": without_vase},
                   token=admin_token)[0] == 200
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert_error(status, body, 409, "customizations_changed")
    assert body["error"]["details"][0]["field"].startswith("items.item_")


def test_wholesale_customers_get_wholesale_prices_and_retail_ones_do_not(api, admin_token):
    product = florist(api, admin_token, wholesale=3000)
    trade, shopper = make_user(), make_user()
    status, body, _ = api.put(f"/api/v1/admin/users/{trade.id}/customer-group", {"customerGroup": "wholesale"},
                              token=admin_token)
    assert status == 200 and body["data"]["customerGroup"] == "wholesale", body
    prices = {}
    for who, token in (("wholesale", token_for(trade)), ("retail", token_for(shopper)), ("guest", None)):
        cart_id = new_cart(api, token=token)
        status, body, _ = add(api, cart_id, product, CHOSEN, token=token)
        assert status == 200, body
        prices[who] = body["data"]["items"][0]["unitPrice"]
    assert prices == {"wholesale": 3000 + 2500, "retail": 4500 + 2500, "guest": 4500 + 2500}


def test_a_wholesale_customers_order_is_charged_wholesale(api, admin_token):
    product = florist(api, admin_token, wholesale=3000)
    trade = make_user()
    User.update(customer_group="wholesale").where(User.id == trade.id).execute()
    token = token_for(trade)
    cart_id = new_cart(api, token=token)
    add(api, cart_id, product, [{"code": "delivery_date", "value": day(2)}], quantity=2, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order = api.get(f"/api/v1/orders/{body['data']['result']['orderId']}", token=token)[1]["data"]
    assert order["subtotal"] == 6000 and order["items"][0]["unitPrice"] == 3000


def test_only_admins_set_a_customer_group(api, admin_token):
    customer = make_user()
    path = f"/api/v1/admin/users/{customer.id}/customer-group"
    assert_error(*api.put(path, {"customerGroup": "wholesale"}, token=token_for(customer))[:2], 403)
    assert_error(*api.put(path, {"customerGroup": "wholesale"}, token=token_for(make_user(role="staff")))[:2], 403)
    assert_error(*api.put(path, {"customerGroup": "wholesale"})[:2], 401)
    assert_error(*api.put(path, {"customerGroup": "vip"}, token=admin_token)[:2], 422)
    assert_error(*api.put("/api/v1/admin/users/usr_nobody/customer-group", {"customerGroup": "retail"},
                          token=admin_token)[:2], 404)
    assert User.get_by_id(customer.id).customer_group == "retail"
    status, body, _ = api.get(f"/api/v1/admin/users?q={customer.email}", token=admin_token)
    assert body["data"][0]["customerGroup"] == "retail"


def test_the_public_product_list_shows_pricing_and_stays_cached(api, admin_token, cached):
    product = florist(api, admin_token, wholesale=3000)
    first = api.get("/api/v1/products")
    second = api.get("/api/v1/products")
    assert first[2]["X-Cache"] == "miss" and second[2]["X-Cache"] == "hit"
    listed = next(p for p in second[1]["data"] if p["id"] == product["id"])
    assert listed["pricing"] == {"base": 4500, "discounted": None, "wholesale": 3000}
