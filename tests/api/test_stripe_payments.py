"""Stripe payments against localstripe: PaymentIntent at checkout, Process Payment,
signed webhooks (duplicates, out of order, bad signatures), and money given back on
cancelled orders (voids, refunds, late successes) exactly once."""

import hashlib
import hmac
import json
import time

import pytest
import stripe

from models.catalog import InventoryLevel
from models.db import atomic
from models.jobs import Job
from models.orders import Order, Payment, Refund, StripeEvent
from services import orders, payments
from services.orders import checkout
from tests.conftest import WEBHOOK_SECRET
from tests.factories import (card, checkout_body, fill_cart, first_variant, make_product, make_user, token_for,
                             wait_until)
from web.orders import OrderCreateSchema
from workers.dispatch import dispatch
from workers.runner import run_job


def stripe_checkout(api, stock=5, price=2950):
    product = make_product(price=price, stock=stock)
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe"),
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return product, body["data"]["result"]


def signed(payload: dict, secret=WEBHOOK_SECRET, timestamp=None):
    raw = json.dumps(payload).encode()
    t = int(time.time()) if timestamp is None else timestamp
    sig = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"Stripe-Signature": f"t={t},v1={sig}", "Content-Type": "application/json"}


def event(event_type, intent_id, event_id=None):
    return {"id": event_id or f"evt_{intent_id}_{event_type}", "object": "event", "type": event_type,
            "created": int(time.time()), "data": {"object": {"id": intent_id, "object": "payment_intent"}}}


def post_webhook(client, payload, **kw):
    raw, headers = signed(payload, **kw)
    response = client.post("/api/v1/webhooks/stripe", data=raw, headers=headers)
    return response.status_code, response.get_json()


def test_stripe_checkout_returns_the_payment_intent_client_secret(api, stripe_ready):
    _, result = stripe_checkout(api)
    assert result["paymentIntentId"].startswith("pi_")
    assert result["clientSecret"].startswith(result["paymentIntentId"])
    intent = stripe.PaymentIntent.retrieve(result["paymentIntentId"])
    assert intent.amount == result["total"] and intent.currency == "usd"
    assert intent.metadata["orderId"] == result["orderId"]
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("pending", "pending")


def test_process_payment_with_a_card_marks_the_order_paid(api, stripe_ready):
    _, result = stripe_checkout(api)
    pm = card()
    status, body, _ = api.post(f"/api/v1/orders/{result['orderId']}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": pm.id}, headers={"Prefer": "wait=10"})
    assert status == 200, body
    job = body["data"]
    assert job["state"] == "succeeded", job
    assert job["result"]["paymentStatus"] == "paid" and job["result"]["status"] == "confirmed"
    status, body, _ = api.post(f"/api/v1/orders/{result['orderId']}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": pm.id})
    assert status == 409 and body["error"]["code"] == "CONFLICT"


def test_declined_card_fails_the_payment_and_releases_stock(api, stripe_ready):
    product, result = stripe_checkout(api, stock=3)
    variant = first_variant(product)
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 2
    pm = card("4000000000000341")
    status, body, _ = api.post(f"/api/v1/orders/{result['orderId']}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": pm.id}, headers={"Prefer": "wait=10"})
    assert status == 402 and body["error"]["code"] == "PAYMENT_ERROR", body
    job_id = next(d["message"] for d in body["error"]["details"] if d["field"] == "jobId")
    job = api.wait_job(job_id)
    assert job["state"] == "failed" and job["error"]["declineCode"] == "card_declined", job
    order = Order.get_by_id(result["orderId"])
    assert (order.payment_status, order.status) == ("failed", "cancelled")
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 3


def test_webhook_succeeded_event_marks_the_order_paid_once(api, client, stripe_ready):
    _, result = stripe_checkout(api)
    intent_id = result["paymentIntentId"]
    stripe.PaymentIntent.modify(intent_id, payment_method=card().id)
    stripe.PaymentIntent.confirm(intent_id)
    payload = event("payment_intent.succeeded", intent_id)
    status, body = post_webhook(client, payload)
    assert status == 200 and body["received"] is True and body["jobId"]
    assert api.wait_job(body["jobId"])["result"]["outcome"] == "paid"
    status, body = post_webhook(client, payload)
    assert status == 200 and body == {"received": True, "duplicate": True, "ignored": False}
    assert StripeEvent.select().count() == 1
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("confirmed", "paid")


def test_a_late_failed_event_never_moves_a_paid_order_back(api, client, stripe_ready):
    product, result = stripe_checkout(api)
    intent_id = result["paymentIntentId"]
    stripe.PaymentIntent.modify(intent_id, payment_method=card().id)
    stripe.PaymentIntent.confirm(intent_id)
    _, ok = post_webhook(client, event("payment_intent.succeeded", intent_id))
    api.wait_job(ok["jobId"])
    _, late = post_webhook(client, event("payment_intent.payment_failed", intent_id))
    job = api.wait_job(late["jobId"])
    assert job["state"] == "succeeded" and job["result"]["outcome"] == "unchanged"
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("confirmed", "paid")
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 4


def test_webhook_rejects_bad_missing_and_future_signatures(client, stripe_ready):
    payload = event("payment_intent.succeeded", "pi_unknown")
    raw, headers = signed(payload, secret="whsec_wrong")
    r = client.post("/api/v1/webhooks/stripe", data=raw, headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "AUTHENTICATION_ERROR"
    r = client.post("/api/v1/webhooks/stripe", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    status, body = post_webhook(client, payload, timestamp=int(time.time()) + 3600)
    assert status == 400 and body["error"]["reason"] == "bad_signature"
    status, body = post_webhook(client, payload, timestamp=int(time.time()) - 3600)
    assert status == 400
    assert StripeEvent.select().count() == 0


@pytest.mark.parametrize("payload", [[event("payment_intent.succeeded", "pi_x")], "evt", 42, None,
                                     {"id": "evt_1", "object": "event"}, {"id": 7, "type": "charge.refunded"}])
def test_a_signed_webhook_that_is_not_an_event_object_is_refused_and_nothing_is_written(client, stripe_ready,
                                                                                         payload):
    status, body = post_webhook(client, payload)
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["reason"] == "bad_payload"
    assert StripeEvent.select().count() == 0 and Job.select().count() == 0


def test_webhook_for_an_amount_mismatch_does_not_pay_the_order(api, client, stripe_ready):
    _, result = stripe_checkout(api)
    other = stripe.PaymentIntent.create(amount=1, currency="usd", metadata={"orderId": result["orderId"]})
    stripe.PaymentIntent.modify(other.id, payment_method=card().id)
    stripe.PaymentIntent.confirm(other.id)
    _, body = post_webhook(client, event("payment_intent.succeeded", other.id))
    job = api.wait_job(body["jobId"])
    assert job["state"] == "failed" and job["error"]["reason"] == "amount_mismatch"
    assert Order.get_by_id(result["orderId"]).payment_status == "pending"


def refund_jobs(order_id):
    return [j for j in Job.select().where(Job.type == "payment_refund").order_by(Job.created_at)
            if j.payload["orderId"] == order_id]


def wait_refund_jobs(api, order_id, count=1):
    """Wait for the order's first `count` payment_refund jobs to end; returns them (oldest first)."""
    found = wait_until(lambda: len(refund_jobs(order_id)) >= count and refund_jobs(order_id), what="refund job")
    return [api.wait_job(job.id) for job in found[:count]]


def pay(api, order_id, number="4242424242424242"):
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card(number).id},
                               headers={"Prefer": "wait=10"})
    if status == 402:  # declined while waiting: the envelope names the failed job
        job_id = next(d["message"] for d in body["error"]["details"] if d["field"] == "jobId")
        return api.wait_job(job_id)
    assert status == 200, body
    return body["data"]


def staff_cancel(api, order_id):
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"},
                              token=token_for(make_user(role="staff")))
    assert status == 200 and body["data"]["status"] == "cancelled", body
    return body["data"]


def stripe_refunds(intent_id):
    return stripe.Refund.list(payment_intent=intent_id).data


def test_staff_cancelling_a_paid_order_refunds_it_once_and_shows_the_refund(api, stripe_ready):
    product, result = stripe_checkout(api, stock=3)
    order_id, intent_id = result["orderId"], result["paymentIntentId"]
    assert pay(api, order_id)["result"]["paymentStatus"] == "paid"
    staff_cancel(api, order_id)
    [job] = wait_refund_jobs(api, order_id)
    assert job["state"] == "succeeded" and job["result"]["action"] == "refunded", job
    [refund] = stripe_refunds(intent_id)
    assert refund.amount == result["total"] and refund.metadata["orderId"] == order_id
    order = api.get(f"/api/v1/orders/{order_id}")[1]["data"]
    assert (order["status"], order["paymentStatus"]) == ("cancelled", "refunded")
    assert [(p["paymentIntentId"], p["status"]) for p in order["payments"]] == [(intent_id, "refunded")]
    [shown] = order["refunds"]
    assert shown["id"].startswith("rfd_") and shown["providerRefundId"] == refund.id
    assert (shown["amount"], shown["currency"], shown["status"], shown["reason"]) == \
        (result["total"], "USD", "succeeded", "order_cancelled")
    assert shown["paymentId"] == order["payments"][0]["id"]
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 3

    again = orders.request_refund(order_id, "order_cancelled")  # a retry, or a second job for the order
    dispatch(again)
    assert api.wait_job(again.id)["result"]["action"] == "refunded"
    assert len(stripe_refunds(intent_id)) == 1 and Refund.select().count() == 1


def test_staff_cancelling_an_unpaid_stripe_order_voids_its_payment_intent(api, stripe_ready):
    _, result = stripe_checkout(api)
    staff_cancel(api, result["orderId"])
    [job] = wait_refund_jobs(api, result["orderId"])
    assert job["state"] == "succeeded" and job["result"]["action"] == "voided", job
    assert stripe.PaymentIntent.retrieve(result["paymentIntentId"]).status == "canceled"
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    assert Payment.get(Payment.order == order.id).status == "canceled"
    assert Refund.select().count() == 0 and Order.get_by_id(order.id).payment_status == "failed"


def test_a_declined_card_voids_the_payment_intent_so_its_client_secret_cannot_pay_the_cancelled_order(
        api, stripe_ready):
    _, result = stripe_checkout(api)
    job = pay(api, result["orderId"], "4000000000000341")
    assert job["state"] == "failed" and job["error"]["code"] == "PAYMENT_ERROR", job
    [refund_job] = wait_refund_jobs(api, result["orderId"])
    assert refund_job["result"]["action"] == "voided", refund_job
    intent_id = result["paymentIntentId"]
    assert stripe.PaymentIntent.retrieve(intent_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):  # the storefront retrying with another card
        stripe.PaymentIntent.modify(intent_id, payment_method=card().id)
        stripe.PaymentIntent.confirm(intent_id)
    payment = Payment.get(Payment.order == result["orderId"])
    assert payment.status == "canceled" and payment.last_error  # the decline message is kept


def test_a_payment_succeeding_after_the_order_was_cancelled_is_refunded_never_marked_paid(
        api, client, stripe_ready):
    _, result = stripe_checkout(api)
    order_id, intent_id = result["orderId"], result["paymentIntentId"]
    # Cancelled, but (as if the void lost the race with the storefront) its refund job has not run yet.
    orders.update_status(Order.get_by_id(order_id), "cancelled")
    [late_void] = refund_jobs(order_id)
    stripe.PaymentIntent.modify(intent_id, payment_method=card().id)
    stripe.PaymentIntent.confirm(intent_id)  # the client still held the client secret
    _, body = post_webhook(client, event("payment_intent.succeeded", intent_id))
    assert api.wait_job(body["jobId"])["result"]["outcome"] == "refund_requested"
    [refunded] = [api.wait_job(j.id) for j in refund_jobs(order_id) if j.id != late_void.id]
    assert refunded["result"]["action"] == "refunded", refunded
    order = Order.get_by_id(order_id)
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert Refund.get(Refund.order == order_id).reason == "paid_after_cancel"
    assert not [j for j in Job.select().where(Job.type == "event_fanout") if j.payload.get("event") == "order.paid"]

    dispatch(late_void)  # the cancellation's own job, late: finds the refund, never refunds again
    assert api.wait_job(late_void.id)["result"]["action"] == "refunded"
    _, body = post_webhook(client, event("payment_intent.succeeded", intent_id, event_id="evt_redelivered"))
    assert api.wait_job(body["jobId"])["result"]["outcome"] == "unchanged"
    assert len(stripe_refunds(intent_id)) == 1 and Refund.select().count() == 1


def test_a_refund_job_that_crashed_after_stripe_refunded_records_that_refund_on_retry(api, stripe_ready):
    _, result = stripe_checkout(api)
    order_id, intent_id = result["orderId"], result["paymentIntentId"]
    pay(api, order_id)
    orders.update_status(Order.get_by_id(order_id), "cancelled")  # its refund job is written, not sent
    payments.void_or_refund(order_id, intent_id, "order_cancelled")  # the attempt that died after Stripe answered
    [job] = refund_jobs(order_id)
    dispatch(job)
    assert api.wait_job(job.id)["result"]["action"] == "refunded"
    [refund] = stripe_refunds(intent_id)
    assert Refund.get(Refund.order == order_id).provider_ref == refund.id
    assert Order.get_by_id(order_id).payment_status == "refunded"


def test_an_order_cancelled_while_its_payment_intent_was_created_gets_it_voided(api, stripe_ready):
    cart_id = fill_cart(api, make_product(stock=5))
    with atomic():
        job = checkout.start_checkout(None, OrderCreateSchema().load(checkout_body(cart_id, payment="stripe")))

    def cancelled_before_the_intent_is_stored(job, ctx):
        order = checkout.place_order(job)
        orders.update_status(order, "cancelled")  # its refund job finds no PaymentIntent yet
        return orders.run_checkout_job(job, ctx)

    run_job(job.id, cancelled_before_the_intent_is_stored)
    result = Job.get_by_id(job.id).result
    assert result["status"] == "cancelled" and result["paymentIntentId"], result
    jobs_done = wait_refund_jobs(api, result["orderId"], count=2)  # the cancellation's and the checkout's
    assert all(j["state"] == "succeeded" for j in jobs_done), jobs_done
    assert "voided" in {j["result"]["action"] for j in jobs_done}, jobs_done
    assert stripe.PaymentIntent.retrieve(result["paymentIntentId"]).status == "canceled"


def test_a_payment_job_for_an_order_cancelled_since_the_request_never_confirms_it(api, stripe_ready):
    _, result = stripe_checkout(api)
    order = Order.get_by_id(result["orderId"])
    with atomic():
        payment_job = orders.start_payment(order, None, "stripe", card().id)
    orders.update_status(order, "cancelled")
    dispatch(payment_job)
    failed = api.wait_job(payment_job.id)
    assert failed["state"] == "failed" and failed["error"]["reason"] == "order_cancelled", failed
    assert stripe.PaymentIntent.retrieve(result["paymentIntentId"]).status == "requires_payment_method"
