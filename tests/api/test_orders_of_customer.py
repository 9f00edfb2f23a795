"""Staff list one customer's orders (`GET /orders?customerId=`, seed 000's `GET /orders/user/{userId}`);
a customer only their own."""

from __future__ import annotations

import pytest

from tests.factories import assert_error, make_product, place_order, quick_user, token_for


@pytest.fixture()
def two_customers(api, db):
    alice, bob = quick_user(), quick_user()
    product = make_product(stock=10)
    orders = {alice.id: [place_order(api, product, token=token_for(alice)) for _ in range(2)],
              bob.id: [place_order(api, product, token=token_for(bob))]}
    return alice, bob, orders


def ids(body):
    return sorted(o["id"] for o in body["data"])


def test_staff_list_one_customers_orders_both_ways(api, two_customers):
    alice, bob, orders = two_customers
    staff = token_for(quick_user(role="staff"))
    status, body, _ = api.get(f"/api/v1/orders?customerId={alice.id}", token=staff)
    assert status == 200 and ids(body) == sorted(orders[alice.id]) and body["pagination"]["total"] == 2, body
    status, body, _ = api.get(f"/api/v1/orders/user/{bob.id}", token=staff)
    assert status == 200 and ids(body) == orders[bob.id], body
    assert api.get("/api/v1/orders/user/usr_nobody", token=staff)[1]["data"] == []


def test_a_customer_lists_only_their_own(api, two_customers):
    alice, bob, orders = two_customers
    token = token_for(alice)
    assert ids(api.get(f"/api/v1/orders/user/{alice.id}", token=token)[1]) == sorted(orders[alice.id])
    assert ids(api.get(f"/api/v1/orders?customerId={alice.id}", token=token)[1]) == sorted(orders[alice.id])
    assert_error(*api.get(f"/api/v1/orders/user/{bob.id}", token=token)[:2], 403, reason="not_your_orders")
    assert_error(*api.get(f"/api/v1/orders?customerId={bob.id}", token=token)[:2], 403, reason="not_your_orders")
    assert api.get(f"/api/v1/orders/user/{alice.id}")[0] == 401


def test_a_bad_customer_id_is_422(api, db):
    staff = token_for(quick_user(role="staff"))
    status, body, _ = api.get("/api/v1/orders?customerId=alice", token=staff)
    assert status == 422 and body["error"]["details"][0]["field"] == "customerId", body
