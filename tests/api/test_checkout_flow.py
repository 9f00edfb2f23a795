"""Checkout end to end through the test client and the in-process (or real) worker."""

import threading

import pytest

from models.catalog import InventoryLevel
from models.db import atomic
from models.orders import Order
from services.orders import checkout
from tests.factories import (ADDRESS, checkout_body, fill_cart, first_variant, make_product, make_user, place_order,
                             token_for)
from web.orders import OrderCreateSchema
from workers.dispatch import dispatch


def test_cash_on_delivery_checkout_places_a_confirmed_order(api):
    product = make_product(price=2950, stock=5)
    cart_id = fill_cart(api, product, quantity=2)
    status, body, headers = api.post("/api/v1/orders", checkout_body(cart_id))
    assert status == 202, body
    assert headers["Location"] == f"/api/v1/jobs/{body['data']['id']}"
    assert headers["Retry-After"] == "1"
    job = api.wait_job(body["data"]["id"])
    assert job["state"] == "succeeded", job
    order_id = job["result"]["orderId"]
    assert job["result"]["orderNumber"].startswith("SKN-")
    status, body, _ = api.get(f"/api/v1/orders/{order_id}")
    assert status == 200
    order = body["data"]
    assert (order["status"], order["paymentStatus"]) == ("confirmed", "pending")
    assert order["subtotal"] == 5900 and order["tax"] == 472 and order["shipping"] == 500
    assert order["total"] == 5900 + 472 + 500
    assert order["items"][0]["product"]["name"] == product.name
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 3
    status, body, _ = api.get(f"/api/v1/cart/{cart_id}")
    assert body["data"]["status"] == "converted"


def test_checkout_of_a_converted_cart_is_refused(api):
    product = make_product(stock=5)
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert status == 409 and body["error"]["code"] == "CONFLICT"


def test_checkout_fails_the_job_when_stock_ran_out_meanwhile(api):
    product = make_product(stock=1)
    bodies = [checkout_body(fill_cart(api, product)) for _ in range(2)]
    # Both pass the synchronous checks (1 unit is available to each), then race in the worker.
    with atomic():
        created = [checkout.start_checkout(None, OrderCreateSchema().load(body)) for body in bodies]
    for job in created:
        dispatch(job)
    jobs = [api.wait_job(job.id) for job in created]
    states = sorted(j["state"] for j in jobs)
    assert states == ["failed", "succeeded"], jobs
    failed = next(j for j in jobs if j["state"] == "failed")
    assert failed["error"]["code"] == "INVENTORY_ERROR"
    assert failed["attempts"] == 1  # a domain error is not retried
    assert Order.select().count() == 1
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 0


def test_empty_cart_checkout_is_rejected_synchronously(api):
    status, body, _ = api.post("/api/v1/cart", {})
    status, body, _ = api.post("/api/v1/orders", checkout_body(body["data"]["id"]))
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["requestId"]


def test_idempotency_key_replays_the_same_job_and_rejects_a_different_body(api):
    product = make_product(stock=5)
    cart_id = fill_cart(api, product)
    headers = {"Idempotency-Key": "order-attempt-1"}
    s1, b1, h1 = api.post("/api/v1/orders", checkout_body(cart_id), headers=headers)
    s2, b2, h2 = api.post("/api/v1/orders", checkout_body(cart_id), headers=headers)
    assert s1 == 202 and s2 == 202
    assert b1["data"]["id"] == b2["data"]["id"]
    assert h2["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in h1
    s3, b3, _ = api.post("/api/v1/orders", checkout_body(cart_id, notes="different"), headers=headers)
    assert s3 == 422 and b3["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_two_guests_choosing_the_same_idempotency_key_do_not_collide(api):
    headers = {"Idempotency-Key": "checkout-1"}
    first_cart, second_cart = fill_cart(api, make_product(stock=5)), fill_cart(api, make_product(stock=5))
    s1, b1, _ = api.post("/api/v1/orders", checkout_body(first_cart), headers=headers)
    s2, b2, h2 = api.post("/api/v1/orders", checkout_body(second_cart), headers=headers)
    assert (s1, s2) == (202, 202), (b1, b2)
    assert b1["data"]["id"] != b2["data"]["id"] and "Idempotent-Replayed" not in h2
    assert api.wait_job(b2["data"]["id"])["result"]["orderId"] != api.wait_job(b1["data"]["id"])["result"]["orderId"]


def test_same_idempotency_key_sent_concurrently_creates_one_job(api, app):
    product = make_product(stock=5)
    cart_id = fill_cart(api, product)
    results = []

    def send():
        client = app.test_client()
        r = client.post("/api/v1/orders", json=checkout_body(cart_id), headers={"Idempotency-Key": "concurrent-key"})
        body = r.get_json()
        results.append((r.status_code, (body.get("data") or body.get("error"))["id" if "data" in body else "code"]))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert {status for status, _ in results} == {202}, results
    assert len({job_id for _, job_id in results}) == 1


def test_customer_orders_are_hidden_from_other_customers(api):
    alice, bob = make_user(), make_user()
    product = make_product(stock=5)
    cart_id = fill_cart(api, product, token=token_for(alice))
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token_for(alice),
                               headers={"Prefer": "wait=10"})
    assert body["data"]["state"] == "succeeded", body
    order_id = body["data"]["result"]["orderId"]
    assert api.get(f"/api/v1/orders/{order_id}", token=token_for(alice))[0] == 200
    assert api.get(f"/api/v1/orders/{order_id}", token=token_for(bob))[0] == 404
    assert api.get(f"/api/v1/orders/{order_id}")[0] == 404
    assert api.get(f"/api/v1/jobs/{body['data']['id']}", token=token_for(bob))[0] == 404
    assert api.get(f"/api/v1/cart/{cart_id}", token=token_for(bob))[0] == 404
    status, body, _ = api.get("/api/v1/orders", token=token_for(alice))
    assert status == 200 and [o["id"] for o in body["data"]] == [order_id]
    assert api.get("/api/v1/orders", token=token_for(bob))[1]["data"] == []


@pytest.mark.parametrize("method", ["express", "same_day"])
def test_shipping_method_price_is_charged(api, method):
    product = make_product(price=1000, stock=5)
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", dict(checkout_body(cart_id), shippingMethod=method),
                               headers={"Prefer": "wait=10"})
    job = body["data"]
    order = api.get(f"/api/v1/orders/{job['result']['orderId']}")[1]["data"]
    assert order["shipping"] == {"express": 1000, "same_day": 1500}[method]


def test_staff_place_an_order_for_a_customer_named_by_customer_id(api):
    staff, customer = make_user(role="staff"), make_user()
    cart_id = fill_cart(api, make_product(stock=5))  # a guest cart, filled at the counter
    address = {k: v for k, v in ADDRESS.items() if k != "email"}
    status, body, _ = api.post("/api/v1/orders", dict(checkout_body(cart_id, customerId=customer.id),
                                                      shippingAddress=address),
                               token=token_for(staff), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order = Order.get_by_id(body["data"]["result"]["orderId"])
    assert order.customer_id == customer.id
    assert order.customer_email == customer.email  # not the staff member's
    status, body, _ = api.get(f"/api/v1/orders/{order.id}", token=token_for(customer))
    assert status == 200 and body["data"]["customerId"] == customer.id


def test_customer_id_must_name_the_caller_unless_staff_name_an_existing_customer(api):
    alice, bob, staff = make_user(), make_user(), make_user(role="staff")
    alices_cart = fill_cart(api, make_product(stock=5), token=token_for(alice))
    guest_cart = fill_cart(api, make_product(stock=5))
    refused = [
        (alices_cart, bob.id, token_for(alice), "customer_mismatch"),  # a customer ordering for another
        (guest_cart, bob.id, None, "customer_mismatch"),  # a guest naming a customer
        (alices_cart, bob.id, token_for(staff), "customer_mismatch"),  # the cart is Alice's
        (guest_cart, "usr_unknown", token_for(staff), "customer_not_found"),
    ]
    for cart_id, customer_id, token, reason in refused:
        status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, customerId=customer_id), token=token)
        assert status == 400 and body["error"]["reason"] == reason, (customer_id, body)
    status, body, _ = api.post("/api/v1/orders", checkout_body(alices_cart, customerId=alice.id),
                               token=token_for(alice), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    assert Order.select().count() == 1


@pytest.mark.parametrize("field, value", [("saveCard", False), ("confirmationRequired", True)])
def test_process_payment_refuses_fields_it_would_ignore(api, field, value):
    order_id = place_order(api, make_product(stock=5))
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                               {"paymentMethod": "cash_on_delivery", field: value})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert field in {d["field"] for d in body["error"]["details"]}
