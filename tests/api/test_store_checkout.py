"""Checkout across stores (seed 002): each store's minimum order is checked on its lines of the
cart before anything is written; order lines keep their store and the order groups them by store."""

from __future__ import annotations

from models.carts import Cart
from models.jobs import Job
from models.orders import Order
from models.catalog import Store
from tests.factories import assert_error, checkout_body, fill_cart, first_variant, make_product, make_store


def add(api, cart_id, product, quantity=1):
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id,
                                                                 "variantId": first_variant(product).id,
                                                                 "quantity": quantity})
    assert status == 200, body
    return body


def place_across_stores(api, bakery, florist):
    """A cash-on-delivery order of 2 breads (7.00) of `bakery`, roses (9.00) of `florist` and the
    shop's own mug (5.00), placed through the API: (order id, bread, roses, mug)."""
    bread = make_product(name="Bread", price=700, store=bakery.id)
    roses = make_product(name="Roses", price=900, store=florist.id)
    own = make_product(name="Mug", price=500)
    cart_id = fill_cart(api, bread, quantity=2)
    add(api, cart_id, roses)
    add(api, cart_id, own)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return body["data"]["result"]["orderId"], bread, roses, own


def test_a_store_under_its_minimum_stops_checkout_with_422_and_nothing_written(api):
    bakery = make_store(name="Padaria", minimum=2000)
    florist = make_store(name="Florista", minimum=500)
    bread = make_product(name="Bread", price=700, store=bakery.id)
    roses = make_product(name="Roses", price=900, store=florist.id)
    own = make_product(name="Shop mug", price=5000)  # the shop's own: no minimum
    cart_id = fill_cart(api, bread, quantity=2)
    add(api, cart_id, roses)
    cart = add(api, cart_id, own)
    assert {i["storeId"] for i in cart["data"]["items"]} == {bakery.id, florist.id, None}
    jobs_before = Job.select().count()
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert_error(status, body, 422, "store_minimum_not_met")
    assert body["error"]["details"] == [{
        "field": f"stores.{bakery.id}", "storeId": bakery.id, "minimumOrder": 2000, "subtotal": 1400,
        "shortfall": 600, "message": "Padaria: minimum order 2000, add 600 more"}]
    assert Job.select().count() == jobs_before and Order.select().count() == 0
    assert Cart.get_by_id(cart_id).status == "active"


def test_an_inactive_store_stops_checkout(api):
    store = make_store(name="Closed shop")
    cart_id = fill_cart(api, make_product(name="Tea", price=900, store=store.id))
    Store.update(is_active=False).where(Store.id == store.id).execute()
    assert_error(*api.post("/api/v1/orders", checkout_body(cart_id))[:2], 422, "store_inactive")
    assert Order.select().count() == 0


def test_an_order_over_every_minimum_keeps_each_line_store_and_groups_them(api):
    bakery = make_store(name="Padaria", minimum=1000)
    florist = make_store(name="Florista", minimum=0, operational_info={"delivery_time": "1-2 hours"})
    order_id, bread, roses, own = place_across_stores(api, bakery, florist)
    status, body, _ = api.get(f"/api/v1/orders/{order_id}")
    assert status == 200, body
    order = body["data"]
    by_product = {i["productId"]: i for i in order["items"]}
    assert by_product[bread.id]["storeId"] == bakery.id and by_product[own.id]["storeId"] is None
    stores = {group["storeId"]: group for group in order["stores"]}
    assert stores[bakery.id]["name"] == "Padaria" and stores[bakery.id]["subtotal"] == 1400
    assert stores[bakery.id]["deliveryTime"] == "30-45 mins"
    assert stores[bakery.id]["lines"] == [{"itemId": by_product[bread.id]["id"], "productId": bread.id,
                                           "quantity": 2, "totalPrice": 1400}]
    assert stores[florist.id]["deliveryTime"] == "1-2 hours" and stores[None]["subtotal"] == 500
    assert sum(g["subtotal"] for g in order["stores"]) == order["subtotal"]
    assert order["items"] and order["total"] >= order["subtotal"]  # the existing fields are still there
