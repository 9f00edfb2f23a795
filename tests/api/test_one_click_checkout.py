"""One-click checkout against localstripe (seed 000 `oneClickCheckout`): settings with a saved
card and address and a security token bound to them, buying a product or the cart in one call
through the checkout job (which charges the saved card), the customer's own cart untouched, a
declined saved card (402, stock back), and tokens that stop working when what they bind changes."""

from __future__ import annotations

from models.carts import Cart
from models.catalog import InventoryLevel
from models.orders import Order
from tests.api.test_addresses_api import URL as ADDRESSES, HOME
from tests.factories import assert_error, card, fill_cart, first_variant, make_product, quick_user, token_for

SETTINGS = "/api/v1/checkout/one-click/settings"
BUY = "/api/v1/checkout/one-click"
WAIT = {"Prefer": "wait=10"}


def save_card(api, token, number="4242424242424242"):
    status, body, _ = api.post("/api/v1/payments/methods", {"paymentMethodId": card(number).id}, token=token,
                               headers=WAIT)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return body["data"]["result"]


def save_address(api, token):
    status, body, _ = api.post(ADDRESSES, HOME, token=token)
    assert status == 201, body
    return body["data"]


def enable(api, token, **body):
    status, answer, _ = api.put(SETTINGS, {"enabled": True, **body}, token=token)
    assert status == 200 and answer["data"]["ready"] is True, answer
    return answer["data"]["securityToken"]


def test_buying_a_product_in_one_click_charges_the_saved_card(api, user, token, stripe_ready):
    saved = save_card(api, token)
    address = save_address(api, token)
    security = enable(api, token)
    status, body, _ = api.get(SETTINGS, token=token)
    assert status == 200 and body["data"]["paymentMethod"]["id"] == saved["id"]
    assert body["data"]["addressId"] == address["id"] and body["data"].get("securityToken") is None
    product = make_product(price=4200, stock=4)
    my_cart = fill_cart(api, make_product(stock=9), token=token)
    status, body, _ = api.post(BUY, {"securityToken": security, "productId": product.id, "quantity": 2},
                               token=token, headers=WAIT)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    result = body["data"]["result"]
    assert (result["status"], result["paymentStatus"], result["outcome"]) == ("confirmed", "paid", "paid"), result
    order = Order.get_by_id(result["orderId"])
    assert order.customer_id == user.id and order.shipping_address["city"] == "Amman"
    assert order.subtotal == 8400 and order.payment_method == "stripe"
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 2
    assert Cart.get_by_id(order.cart_id).source == "one_click"
    status, body, _ = api.get("/api/v1/cart", token=token)
    assert status == 200 and body["data"]["id"] == my_cart and body["data"]["itemCount"] == 1, body


def test_buying_my_cart_in_one_click(api, user, token, stripe_ready):
    save_card(api, token)
    save_address(api, token)
    security = enable(api, token)
    cart_id = fill_cart(api, make_product(price=1500, stock=3), token=token)
    status, body, _ = api.post(BUY, {"securityToken": security, "cartId": cart_id, "shippingMethod": "express"},
                               token=token, headers=WAIT)
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    assert Cart.get_by_id(cart_id).status == "converted"


def test_a_declined_saved_card_is_402_and_gives_the_stock_back(api, user, token, stripe_ready):
    save_card(api, token, "4000000000000341")  # attaches fine, every charge is declined
    save_address(api, token)
    security = enable(api, token)
    product = make_product(stock=2)
    status, body, _ = api.post(BUY, {"securityToken": security, "productId": product.id}, token=token, headers=WAIT)
    assert_error(status, body, 402, "card_declined")
    details = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert details["declineCode"] == "card_declined"
    job = api.wait_job(details["jobId"], token=token)
    order = Order.get_by_id(job["result"]["orderId"])
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    assert job["result"]["paymentStatus"] == "failed" and job["result"]["declineCode"] == "card_declined"
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 2


def test_the_token_is_bound_to_the_customer_card_and_address(api, user, token, stripe_ready):
    first = save_card(api, token)
    save_address(api, token)
    old = enable(api, token)
    product = make_product(stock=5)
    other = token_for(quick_user())
    assert_error(*api.post(BUY, {"securityToken": old, "productId": product.id}, token=other)[:2], 403,
                 "one_click_token_invalid")
    assert_error(*api.post(BUY, {"securityToken": "guess", "productId": product.id}, token=token)[:2], 403,
                 "one_click_token_invalid")
    second = save_card(api, token, "5555555555554444")
    new = enable(api, token, paymentMethodId=second["id"])
    assert new != old
    assert_error(*api.post(BUY, {"securityToken": old, "productId": product.id}, token=token)[:2], 403)
    assert api.delete(f"/api/v1/payments/methods/{second['id']}", token=token)[0] == 200
    assert_error(*api.post(BUY, {"securityToken": new, "productId": product.id}, token=token)[:2], 403)
    assert Order.select().count() == 0
    assert api.get(SETTINGS, token=token)[1]["data"]["ready"] is False
    assert enable(api, token, paymentMethodId=first["id"])


def test_settings_and_purchase_refuse_bad_input(api, user, token, stripe_ready):
    assert_error(*api.get(SETTINGS)[:2], 401)
    assert_error(*api.post(BUY, {"securityToken": "x", "productId": "p"})[:2], 401)
    status, body, _ = api.put(SETTINGS, {"enabled": True}, token=token)
    assert_error(status, body, 422, "one_click_incomplete")
    assert {d["field"] for d in body["error"]["details"]} == {"paymentMethodId", "addressId"}
    other_card = save_card(api, token_for(quick_user()))
    assert_error(*api.put(SETTINGS, {"enabled": True, "paymentMethodId": other_card["id"]}, token=token)[:2], 404,
                 "payment_method_not_found")
    save_card(api, token)
    save_address(api, token)
    security = enable(api, token)
    product = make_product(stock=1)
    for bad in ({"securityToken": security}, {"securityToken": security, "productId": product.id, "cartId": "cart_x"},
                {"securityToken": security, "productId": product.id, "quantity": 0},
                {"securityToken": security, "productId": product.id, "shippingMethod": "teleport"}):
        assert_error(*api.post(BUY, bad, token=token)[:2], 422)
    assert_error(*api.post(BUY, {"securityToken": security, "productId": product.id, "quantity": 5},
                           token=token)[:2], 409)
    status, body, _ = api.put(SETTINGS, {"enabled": False}, token=token)
    assert status == 200 and body["data"]["securityToken"] is None and body["data"]["enabled"] is False
    assert_error(*api.post(BUY, {"securityToken": security, "productId": product.id}, token=token)[:2], 403)
    assert Order.select().count() == 0
