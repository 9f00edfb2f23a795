"""The refund path's rules that need no Stripe: which cancellations write a `payment_refund`
job, what the job refuses, and the forward-only payment statuses it moves.
(Voids and refunds against localstripe: tests/api/test_stripe_payments.py.)"""

import pytest

from models.jobs import Job
from models.orders import Order, Payment
from services import orders
from services.errors import Conflict
from tests.factories import make_product, make_user, place_order, token_for


def refund_jobs():
    return list(Job.select().where(Job.type == "payment_refund"))


def test_cancelling_a_cash_on_delivery_order_writes_no_refund_job(api):
    order_id = place_order(api, make_product(stock=5))
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"},
                              token=token_for(make_user(role="staff")))
    assert status == 200 and body["data"]["status"] == "cancelled"
    assert body["data"]["payments"][0]["provider"] == "cash_on_delivery" and body["data"]["refunds"] == []
    assert refund_jobs() == []


def test_every_cancellation_of_a_stripe_order_writes_a_refund_job_with_its_reason(api):
    reasons = {}
    for how in ("staff", "payment", "fraud"):
        order = Order.get_by_id(place_order(api, make_product(stock=5)))
        Payment.update(provider="stripe").where(Payment.order == order.id).execute()  # as a card order would be
        if how == "staff":
            orders.update_status(order, "cancelled")
        elif how == "payment":
            orders.mark_payment_failed(order.id, "Your card was declined")  # a COD order is confirmed, still pending
        else:
            orders.cancel_for_fraud(order.id, "blocked by fraud rule", refund_reason="fraud_blocked")
        assert Order.get_by_id(order.id).status == "cancelled"
        reasons[how] = [j.payload for j in refund_jobs() if j.payload["orderId"] == order.id]
        assert reasons[how][0]["orderId"] == order.id
    assert {how: [p["reason"] for p in found] for how, found in reasons.items()} == {
        "staff": ["order_cancelled"], "payment": ["payment_failed"], "fraud": ["fraud_blocked"]}


def test_the_refund_job_refuses_an_order_that_is_not_cancelled(api):
    order_id = place_order(api, make_product(stock=5))
    with pytest.raises(Conflict) as caught:
        orders.refund_cancelled_order(order_id, "order_cancelled")
    assert caught.value.reason == "order_not_refundable"


def test_a_refund_moves_a_cancelled_orders_payment_forward_to_refunded_never_through_paid(api):
    order = Order.get_by_id(place_order(api, make_product(stock=5)))
    orders.mark_payment_failed(order.id, "declined")
    assert Order.get_by_id(order.id).payment_status == "failed"
    assert orders.mark_refunded(order.id)  # a late success, refunded
    assert not orders.mark_paid(order.id) and not orders.mark_refunded(order.id)
    order = Order.get_by_id(order.id)
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert Payment.get(Payment.order == order.id).status == "refunded"
    assert not orders.mark_payment_voided(order.id, "late void")
