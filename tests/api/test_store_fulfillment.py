"""Fulfilment grouped by store (seed 002): each store ships its own part of an order, its staff
see only their lines, and the order follows its parts (services.orders.store_fulfillment)."""

from __future__ import annotations

import pytest

from models.orders import Order, OrderEvent, OrderFulfillment
from tests.api.test_store_checkout import place_across_stores
from tests.factories import assert_error, make_store, quick_user, token_for


@pytest.fixture
def market(api):
    """A cash-on-delivery order (confirmed) with lines of two stores and of the shop itself."""
    baker, florist_staff = quick_user(), quick_user()
    bakery = make_store(name="Padaria", staff=[baker])
    florist = make_store(name="Florista", staff=[florist_staff])
    order_id, bread, roses, _ = place_across_stores(api, bakery, florist)
    return {"order_id": order_id, "bakery": bakery, "florist": florist,
            "baker": token_for(baker), "florist_staff": token_for(florist_staff),
            "staff": token_for(quick_user(role="staff")), "bread": bread, "roses": roses}


def _move(api, m, token, store_id, status, **extra):
    return api.post(f"/api/v1/orders/{m['order_id']}/fulfillments", {"storeId": store_id, "status": status, **extra},
                    token=token)


def _parts(body) -> dict:
    return {group["storeId"]: group["fulfillment"]["status"] for group in body["data"]["stores"]}


def test_a_new_order_shows_every_part_unfulfilled(api, market):
    status, body, _ = api.get(f"/api/v1/orders/{market['order_id']}", token=market["staff"])
    assert status == 200, body
    assert _parts(body) == {market["bakery"].id: "unfulfilled", market["florist"].id: "unfulfilled",
                            None: "unfulfilled"}


def test_the_order_follows_its_parts_to_shipped_and_delivered(api, market):
    bakery, florist = market["bakery"].id, market["florist"].id
    status, body, _ = _move(api, market, market["baker"], bakery, "preparing")
    assert status == 200, body
    assert body["data"]["status"] == "processing" and _parts(body)[bakery] == "preparing"
    status, body, _ = _move(api, market, market["baker"], bakery, "shipped", carrier="CTT", trackingNumber="RR1PT")
    assert status == 200 and body["data"]["status"] == "processing", body
    part = next(g for g in body["data"]["stores"] if g["storeId"] == bakery)["fulfillment"]
    assert part["carrier"] == "CTT" and part["trackingNumber"] == "RR1PT" and part["shippedAt"]
    status, body, _ = _move(api, market, market["florist_staff"], florist, "shipped")
    assert status == 200 and body["data"]["status"] == "processing", body  # the shop's own part is left
    status, body, _ = _move(api, market, market["staff"], None, "shipped", trackingNumber="SHOP-1")
    assert status == 200 and body["data"]["status"] == "shipped", body
    status, body, _ = _move(api, market, market["florist_staff"], florist, "delivered")
    assert status == 200 and body["data"]["status"] == "shipped"
    assert _parts(body) == {bakery: "shipped", florist: "delivered", None: "shipped"}
    _move(api, market, market["baker"], bakery, "delivered")
    status, body, _ = _move(api, market, market["staff"], None, "delivered")
    assert status == 200 and body["data"]["status"] == "delivered", body
    assert body["data"]["paymentStatus"] == "paid"  # cash collected: the order's own delivery effects ran
    types = [e.type for e in OrderEvent.select().where(OrderEvent.order == market["order_id"])]
    assert types.count("fulfillment_updated") == 7 and types.count("shipped") == 1 and types.count("delivered") == 1
    status, body, _ = api.get(f"/api/v1/orders/{market['order_id']}/tracking", token=market["staff"])
    assert status == 200
    steps = [e for e in body["data"]["events"] if e["type"] == "fulfillment_updated"]
    assert steps[0]["storeId"] == bakery and steps[0]["status"] == "preparing"


def test_a_part_moves_forward_only_and_the_same_status_updates_tracking(api, market):
    bakery = market["bakery"].id
    assert _move(api, market, market["baker"], bakery, "shipped")[0] == 200
    assert_error(*_move(api, market, market["baker"], bakery, "preparing")[:2], 409, "fulfillment_backwards")
    status, body, _ = _move(api, market, market["baker"], bakery, "shipped", trackingNumber="NEW-2")
    assert status == 200
    assert next(g for g in body["data"]["stores"] if g["storeId"] == bakery)["fulfillment"]["trackingNumber"] == "NEW-2"
    assert OrderFulfillment.select().count() == 1


def test_staff_moving_the_whole_order_carries_every_part(api, market):
    status, body, _ = api.put(f"/api/v1/orders/{market['order_id']}/status", {"status": "shipped"},
                              token=market["staff"])
    assert status == 200 and set(_parts(body).values()) == {"shipped"}, body
    assert_error(*_move(api, market, market["baker"], market["bakery"].id, "preparing")[:2], 409,
                 "fulfillment_backwards")
    api.put(f"/api/v1/orders/{market['order_id']}/status", {"status": "delivered"}, token=market["staff"])
    assert_error(*_move(api, market, market["baker"], market["bakery"].id, "delivered")[:2], 409,
                 "order_not_fulfillable")


def test_a_cancelled_order_cannot_be_fulfilled_and_shows_cancelled(api, market):
    api.put(f"/api/v1/orders/{market['order_id']}/status", {"status": "cancelled"}, token=market["staff"])
    assert_error(*_move(api, market, market["baker"], market["bakery"].id, "shipped")[:2], 409,
                 "order_not_fulfillable")
    status, body, _ = api.get(f"/api/v1/orders/{market['order_id']}", token=market["staff"])
    assert set(_parts(body).values()) == {"cancelled"}


def test_who_may_move_which_part(api, market):
    bakery, florist = market["bakery"].id, market["florist"].id
    assert_error(*_move(api, market, None, bakery, "shipped")[:2], 401)
    assert_error(*_move(api, market, token_for(quick_user()), bakery, "shipped")[:2], 404, "order_not_found")
    assert_error(*_move(api, market, market["baker"], florist, "shipped")[:2], 404, "fulfillment_not_found")
    assert_error(*_move(api, market, market["baker"], None, "shipped")[:2], 404, "fulfillment_not_found")
    other = make_store(name="Elsewhere")
    assert_error(*_move(api, market, market["staff"], other.id, "shipped")[:2], 404, "fulfillment_not_found")
    assert_error(*_move(api, market, market["staff"], bakery, "unfulfilled")[:2], 422)
    assert_error(*api.post(f"/api/v1/orders/{market['order_id']}/fulfillments", {"status": "shipped"},
                           token=market["staff"])[:2], 422)
    assert OrderFulfillment.select().count() == 0
    assert Order.get_by_id(market["order_id"]).status == "confirmed"


def test_an_unpaid_card_order_cannot_be_fulfilled(api, market):
    Order.update(status="pending").where(Order.id == market["order_id"]).execute()
    assert_error(*_move(api, market, market["baker"], market["bakery"].id, "preparing")[:2], 409,
                 "order_not_fulfillable")


def test_a_store_lists_its_orders_with_only_its_lines(api, market):
    url = f"/api/v1/stores/{market['bakery'].id}/orders"
    status, body, _ = api.get(url, token=market["baker"])
    assert status == 200, body
    assert body["pagination"]["total"] == 1
    (order,) = body["data"]
    assert order["id"] == market["order_id"] and order["subtotal"] == 1400
    assert [line["productId"] for line in order["lines"]] == [market["bread"].id]
    assert order["lines"][0]["quantity"] == 2 and order["fulfillment"]["status"] == "unfulfilled"
    assert order["shippingAddress"] and "customerEmail" not in order
    _move(api, market, market["baker"], market["bakery"].id, "shipped")
    status, body, _ = api.get(url + "?status=processing", token=market["baker"])
    assert status == 200 and body["data"][0]["fulfillment"]["status"] == "shipped"
    assert api.get(url + "?status=delivered", token=market["baker"])[1]["data"] == []
    status, body, _ = api.get(url, token=market["staff"])
    assert status == 200 and body["pagination"]["total"] == 1
    assert_error(*api.get(url)[:2], 401)
    assert_error(*api.get(url, token=market["florist_staff"])[:2], 403, "store_staff_only")
    assert_error(*api.get(url, token=token_for(quick_user()))[:2], 403, "store_staff_only")
