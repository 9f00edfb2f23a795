"""Customer cancellation (`PUT /orders/{id}/cancel`), the tracking timeline (`GET
/orders/{id}/tracking`) and couriers (`PUT /orders/{id}/courier`, `GET /deliveries`, `PUT
/orders/{id}/delivery`), with cash on delivery collected at the door (issue 10)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from models.carts import DiscountCode
from models.catalog import InventoryLevel
from models.loyalty import LoyaltyTransaction
from models.orders import Order
from tests.factories import (ApiClient, assert_error, checkout_body, fill_cart, first_variant, make_product,
                             quick_user, token_for, wait_until)


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture
def courier(db):
    return quick_user(role="courier", first_name="Karim")


def placed(api, token, stock=5, price=5000, code=None):
    product = make_product(price=price, stock=stock)
    cart_id = fill_cart(api, product, token=token)
    if code:
        assert api.post("/api/v1/checkout/discount", {"cartId": cart_id, "discountCode": code}, token=token)[0] == 200
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return product, body["data"]["result"]["orderId"]


def units(product):
    return InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity


def test_a_customer_cancels_before_shipping_and_gets_stock_and_promo_back(api, token, user, staff):
    api.post("/api/v1/promos", {"code": "HALF", "type": "percentage", "value": 50}, token=staff)
    product, order_id = placed(api, token, code="HALF")
    assert units(product) == 4 and DiscountCode.get(code="HALF").usage_count == 1
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/cancel", {"reason": "Ordered twice"}, token=token)
    assert status == 200 and body["data"]["status"] == "cancelled" and body["message"] == "Order cancelled", body
    assert units(product) == 5 and DiscountCode.get(code="HALF").usage_count == 0
    assert_error(*api.put(f"/api/v1/orders/{order_id}/cancel", token=token)[:2], 409, "order_cancelled")
    tracking = api.get(f"/api/v1/orders/{order_id}/tracking", token=token)[1]["data"]
    assert [e["type"] for e in tracking["events"]] == ["placed", "confirmed", "cancelled"]
    assert tracking["events"][-1]["actorRole"] == "customer" and tracking["events"][-1]["reason"] == "Ordered twice"
    assert "actorId" not in tracking["events"][-1]  # only staff see who


def test_cancelling_is_refused_once_shipped_and_to_other_customers(api, token, staff):
    _, order_id = placed(api, token)
    assert_error(*api.put(f"/api/v1/orders/{order_id}/cancel", token=token_for(quick_user()))[:2], 404)
    assert_error(*api.put(f"/api/v1/orders/{order_id}/cancel")[:2], 404)  # a guest, a customer's order
    api.put(f"/api/v1/orders/{order_id}/status", {"status": "shipped", "trackingNumber": "1Z999", "carrier": "DHL"},
            token=staff)
    assert_error(*api.put(f"/api/v1/orders/{order_id}/cancel", token=token)[:2], 409, "order_not_cancellable")
    assert_error(*api.put(f"/api/v1/orders/{order_id}/cancel", {"reason": ""}, token=token)[:2], 422)
    tracking = api.get(f"/api/v1/orders/{order_id}/tracking", token=staff)[1]["data"]
    shipped = tracking["events"][-1]
    assert (shipped["type"], shipped["carrier"], shipped["trackingNumber"]) == ("shipped", "DHL", "1Z999")
    assert shipped["actorRole"] == "staff" and shipped["actorId"]
    assert (tracking["carrier"], tracking["trackingNumber"]) == ("DHL", "1Z999")
    assert_error(*api.get(f"/api/v1/orders/{order_id}/tracking", token=token_for(quick_user()))[:2], 404)


def test_concurrent_cancels_give_the_stock_back_once(app, api, token):
    product, order_id = placed(api, token, stock=3)

    def cancel(_):
        return ApiClient(app.test_client()).put(f"/api/v1/orders/{order_id}/cancel", token=token)[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(cancel, range(4)))
    assert statuses[0] == 200 and statuses.count(200) == 1 and set(statuses[1:]) == {409}, statuses
    assert units(product) == 3


def test_a_courier_delivers_cash_on_delivery_and_the_customer_earns_points(api, token, user, staff, courier):
    _, order_id = placed(api, token, price=5900)
    courier_token = token_for(courier)
    assert_error(*api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"},
                          token=courier_token)[:2], 404, "delivery_not_found")  # not theirs yet
    assert_error(*api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": user.id}, token=staff)[:2],
                 422, "not_a_courier")
    assert_error(*api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": courier.id}, token=token)[:2], 403)
    assert api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": courier.id}, token=staff)[0] == 200

    status, body, _ = api.get("/api/v1/deliveries", token=courier_token)
    assert status == 200 and [d["orderId"] for d in body["data"]] == [order_id], body
    delivery = body["data"][0]
    assert delivery["cashToCollect"] == Order.get_by_id(order_id).total and delivery["shippingAddress"]["city"]
    other = token_for(quick_user(role="courier"))
    assert api.get("/api/v1/deliveries", token=other)[1]["data"] == []  # a courier sees only theirs
    assert_error(*api.get("/api/v1/deliveries", token=token)[:2], 403)
    assert_error(*api.get(f"/api/v1/orders/{order_id}", token=courier_token)[:2], 404)  # nothing else

    assert_error(*api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered"}, token=courier_token)[:2],
                 409, "invalid_delivery_transition")
    assert api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"},
                   token=courier_token)[0] == 200
    assert Order.get_by_id(order_id).status == "shipped"
    assert_error(*api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "failed"}, token=courier_token)[:2],
                 422, "failure_reason_required")
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "failed", "reason": "Nobody home"},
                              token=courier_token)
    assert status == 200 and body["data"]["failureReason"] == "Nobody home", body
    api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"}, token=courier_token)
    assert_error(*api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered"}, token=courier_token)[:2],
                 422, "cash_not_collected")
    assert_error(*api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered", "cashCollected": True,
                                                                  "deliveredAt": "2999-01-01T00:00:00Z"},
                          token=courier_token)[:2], 422, "invalid_delivered_at")
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered", "cashCollected": True},
                              token=courier_token)
    assert status == 200 and body["data"]["attempts"] == 2, body
    assert body["data"]["cashCollected"] == Order.get_by_id(order_id).total and body["data"]["cashToCollect"] == 0

    order = Order.get_by_id(order_id)
    assert (order.status, order.payment_status) == ("delivered", "paid")
    wait_until(lambda: LoyaltyTransaction.select().where(LoyaltyTransaction.order_id == order_id).exists(),
               what="points for the collected cash")
    tracking = api.get(f"/api/v1/orders/{order_id}/tracking", token=token)[1]["data"]
    assert [e["type"] for e in tracking["events"]] == [
        "placed", "confirmed", "courier_assigned", "shipped", "out_for_delivery", "delivery_failed",
        "out_for_delivery", "delivered", "paid"]
    assert tracking["delivery"]["status"] == "delivered" and tracking["delivery"]["courierName"] == "Karim"
    assert_error(*api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": courier.id}, token=staff)[:2],
                 409, "order_not_deliverable")


def test_staff_delivering_a_cash_order_marks_it_paid(api, token, staff):
    _, order_id = placed(api, token)
    for status in ("shipped", "delivered"):
        assert api.put(f"/api/v1/orders/{order_id}/status", {"status": status}, token=staff)[0] == 200
    assert Order.get_by_id(order_id).payment_status == "paid"
