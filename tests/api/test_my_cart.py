"""`GET /cart` (seeds 001-003): the signed-in customer's own cart, found from any device."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from models.carts import Cart
from tests.factories import (ApiClient, assert_error, checkout_body, first_variant, make_product, quick_user,
                             token_for)


def test_a_guest_has_no_own_cart(api, db):
    assert_error(*api.get("/api/v1/cart")[:2], 401)


def test_my_cart_is_created_once_then_found_with_its_items(api, token, user):
    status, body, _ = api.get("/api/v1/cart", token=token)
    assert status == 201 and body["data"]["customerId"] == user.id and body["data"]["items"] == [], body
    cart_id = body["data"]["id"]
    product = make_product(stock=5)
    assert api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "variantId": first_variant(product).id,
                                                      "quantity": 2}, token=token)[0] == 200
    status, body, _ = api.get("/api/v1/cart", token=token)  # another device, same account
    assert status == 200 and body["data"]["id"] == cart_id and body["data"]["itemCount"] == 2, body


def test_each_customer_gets_their_own_and_a_converted_cart_is_not_mine_any_more(api, token, user):
    other = token_for(quick_user())
    mine = api.get("/api/v1/cart", token=token)[1]["data"]["id"]
    assert api.get("/api/v1/cart", token=other)[1]["data"]["id"] != mine
    product = make_product(stock=5)
    api.post(f"/api/v1/cart/{mine}/items", {"productId": product.id, "variantId": first_variant(product).id,
                                            "quantity": 1}, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(mine), token=token)
    assert status == 202 and api.wait_job(body["data"]["id"], token=token)["state"] == "succeeded"
    status, body, _ = api.get("/api/v1/cart", token=token)
    assert status == 201 and body["data"]["id"] != mine


def test_concurrent_first_reads_agree_on_one_cart(app, token, user):
    def read(_):
        status, body, _ = ApiClient(app.test_client()).get("/api/v1/cart", token=token)
        return status, body["data"]["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(read, range(6)))
    assert len({cart_id for _, cart_id in results}) == 1, results
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert Cart.select().where(Cart.customer == user.id).count() == 1
