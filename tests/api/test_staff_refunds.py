"""Staff refunds (`POST /orders/{id}/refunds`, issue 10): full and partial, by amount or line,
through Stripe (localstripe, fixed idempotency keys) for card payments and recorded for cash;
the payment status follows; concurrent refunds never give back more than was paid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.orders import Order, OrderItem, Refund
from tests.factories import (ApiClient, assert_error, card, checkout_body, fill_cart, make_product, quick_user,
                             token_for, wait_until)
from services.orders.manual_refunds import execute_refund


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


def cash_order(api, token=None, quantity=2, price=2500):
    cart_id = fill_cart(api, make_product(price=price, stock=10), quantity=quantity, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return body["data"]["result"]["orderId"]


def delivered(api, staff, order_id):
    for status in ("shipped", "delivered"):  # delivering cash on delivery marks it paid
        assert api.put(f"/api/v1/orders/{order_id}/status", {"status": status}, token=staff)[0] == 200


def paid_card_order(api, quantity=2, price=2500, token=None):
    cart_id = fill_cart(api, make_product(price=price, stock=10), quantity=quantity, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe"), token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order_id = body["data"]["result"]["orderId"]
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card().id}, token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    return order_id


def refund(api, staff, order_id, body=None):
    return api.post(f"/api/v1/orders/{order_id}/refunds", body or {}, token=staff)[:2]


def test_cash_refunds_by_line_then_the_rest(api, staff):
    order_id = cash_order(api)
    assert_error(*refund(api, staff, order_id), 409, "order_not_paid")  # not collected yet
    delivered(api, staff, order_id)
    order = Order.get_by_id(order_id)
    item = OrderItem.get(OrderItem.order == order_id)
    status, body = refund(api, staff, order_id, {"lines": [{"itemId": item.id, "quantity": 1}], "reason": "Bruised"})
    assert status == 201 and body["data"]["jobId"] is None, body
    line_amount = body["data"]["refund"]["amount"]
    # one of two units: half of what the goods cost after discount, tax included (shipping excluded)
    assert line_amount == round((order.total - order.shipping) / 2)
    assert body["data"]["refund"]["lines"] == [{"itemId": item.id, "quantity": 1}]
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"
    assert_error(*refund(api, staff, order_id, {"lines": [{"itemId": item.id, "quantity": 2}]}), 422,
                 "refund_quantity_too_large")
    assert_error(*refund(api, staff, order_id, {"lines": [{"itemId": "oi_nope", "quantity": 1}]}), 422,
                 "unknown_order_item")
    assert_error(*refund(api, staff, order_id, {"amount": order.total}), 422, "refund_exceeds_payment")
    assert_error(*refund(api, staff, order_id, {"amount": 5, "lines": [{"itemId": item.id, "quantity": 1}]}), 422,
                 "refund_amount_or_lines")
    status, body = refund(api, staff, order_id)  # the rest
    assert status == 201 and body["data"]["refund"]["amount"] == order.total - line_amount, body
    assert Order.get_by_id(order_id).payment_status == "refunded"
    assert sum(r.amount for r in Refund.select().where(Refund.order == order_id)) == order.total
    assert_error(*refund(api, staff, order_id), 409, "order_not_paid")


def test_customers_cannot_refund(api, token, staff):
    order_id = cash_order(api, token=token)
    delivered(api, staff, order_id)
    assert_error(*api.post(f"/api/v1/orders/{order_id}/refunds", {}, token=token)[:2], 403)
    assert_error(*api.post(f"/api/v1/orders/{order_id}/refunds", {})[:2], 401)
    assert_error(*refund(api, staff, order_id, {"amount": 0}), 422)


def test_concurrent_partial_refunds_never_exceed_the_payment(app, api, staff):
    order_id = cash_order(api)
    delivered(api, staff, order_id)
    total = Order.get_by_id(order_id).total
    part = total // 3 + 1  # three of these are more than the total: at most two fit

    def one(_):
        return ApiClient(app.test_client()).post(f"/api/v1/orders/{order_id}/refunds", {"amount": part},
                                                 token=staff)[0]

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = sorted(pool.map(one, range(5)))
    assert statuses.count(201) == 2 and set(statuses) == {201, 422}, statuses
    assert sum(r.amount for r in Refund.select().where(Refund.order == order_id)) == 2 * part <= total


def test_card_refunds_go_through_stripe_once(api, staff, stripe_ready):
    order_id = paid_card_order(api)
    total = Order.get_by_id(order_id).total
    status, body = refund(api, staff, order_id, {"amount": 1000, "reason": "Late delivery"})
    assert status == 201 and body["data"]["jobId"], body
    job = api.wait_job(body["data"]["jobId"], token=staff)
    assert job["state"] == "succeeded" and job["result"]["action"] == "refunded", job
    row = Refund.get_by_id(body["data"]["refund"]["id"])
    assert row.provider_ref.startswith("re_") and row.status == "succeeded"
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"
    intent_id = Order.get_by_id(order_id).payments.get().provider_ref
    on_stripe = stripe.Refund.list(payment_intent=intent_id).data
    assert [r.amount for r in on_stripe] == [1000]

    assert execute_refund(row.id)["action"] == "none"  # a re-run does nothing
    # a crash after Stripe refunded but before the row was updated: the retry finds Stripe's refund
    Refund.update(status="pending", provider_ref=None).where(Refund.id == row.id).execute()
    assert execute_refund(row.id)["providerRefundId"] == row.provider_ref
    assert len(stripe.Refund.list(payment_intent=intent_id).data) == 1
    status, body = refund(api, staff, order_id)  # the rest
    assert api.wait_job(body["data"]["jobId"], token=staff)["state"] == "succeeded"
    assert sorted(r.amount for r in stripe.Refund.list(payment_intent=intent_id).data) == sorted([1000, total - 1000])
    order = Order.get_by_id(order_id)
    assert order.payment_status == "refunded" and order.status == "confirmed"


def test_a_customer_cancelling_a_paid_card_order_gets_refunded_and_loses_its_points(api, token, user, stripe_ready):
    order_id = paid_card_order(api, token=token)
    wait_until(lambda: LoyaltyTransaction.select().where(LoyaltyTransaction.key == f"earn:order:{order_id}").exists(),
               what="points earned")
    earned = LoyaltyTransaction.get(LoyaltyTransaction.key == f"earn:order:{order_id}").points
    assert earned > 0 and LoyaltyAccount.get(LoyaltyAccount.user == user.id).points_balance == earned
    assert api.put(f"/api/v1/orders/{order_id}/cancel", token=token)[0] == 200
    reverse = LoyaltyTransaction.get(LoyaltyTransaction.key == f"reverse:order:{order_id}")
    assert reverse.points == -earned and LoyaltyAccount.get(LoyaltyAccount.user == user.id).points_balance == 0
    wait_until(lambda: Order.get_by_id(order_id).payment_status == "refunded", what="the cancellation refund")


def test_a_pending_card_refund_settles_with_charge_refund_updated(api, client, staff, stripe_ready):
    """Stripe may answer a refund `pending` and settle it later (`charge.refund.updated`): the
    refund row takes Stripe's status, and the order's payment status follows only then."""
    from tests.api.test_stripe_payments import post_webhook

    order_id = paid_card_order(api)
    status, body = refund(api, staff, order_id, {"amount": 700})
    assert api.wait_job(body["data"]["jobId"], token=staff)["state"] == "succeeded"
    row = Refund.get_by_id(body["data"]["refund"]["id"])
    # As Stripe would have answered for a bank that settles later:
    Refund.update(status="pending").where(Refund.id == row.id).execute()
    Order.update(payment_status="paid").where(Order.id == order_id).execute()
    event = {"id": f"evt_{row.provider_ref}", "object": "event", "type": "charge.refund.updated",
             "data": {"object": {"id": row.provider_ref, "object": "refund", "status": "succeeded"}}}
    status, answer = post_webhook(client, event)
    assert status == 200 and answer["jobId"], answer
    job = api.wait_job(answer["jobId"], token=staff)
    assert job["result"]["refundOutcome"] == "updated" and job["result"]["refundStatus"] == "succeeded", job
    assert Refund.get_by_id(row.id).status == "succeeded"
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"
    unknown = dict(event, id="evt_unknown", data={"object": {"id": "re_unknown", "object": "refund"}})
    job = api.wait_job(post_webhook(client, unknown)[1]["jobId"], token=staff)
    assert job["state"] == "succeeded" and job["result"]["refundOutcome"] == "unknown_refund", job
