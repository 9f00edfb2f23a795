"""Stripe payments against localstripe: PaymentIntent at checkout, Process Payment,
signed webhooks (duplicates, out of order, bad signatures)."""

import hashlib
import hmac
import json
import time

import stripe

from models.catalog import InventoryLevel
from models.orders import Order, StripeEvent
from tests.conftest import WEBHOOK_SECRET
from tests.factories import card, checkout_body, fill_cart, first_variant, make_product


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
    job = body["data"]
    assert job["state"] == "failed" and job["error"]["code"] == "PAYMENT_ERROR", job
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


def test_webhook_for_an_amount_mismatch_does_not_pay_the_order(api, client, stripe_ready):
    _, result = stripe_checkout(api)
    other = stripe.PaymentIntent.create(amount=1, currency="usd", metadata={"orderId": result["orderId"]})
    stripe.PaymentIntent.modify(other.id, payment_method=card().id)
    stripe.PaymentIntent.confirm(other.id)
    _, body = post_webhook(client, event("payment_intent.succeeded", other.id))
    job = api.wait_job(body["jobId"])
    assert job["state"] == "failed" and job["error"]["reason"] == "amount_mismatch"
    assert Order.get_by_id(result["orderId"]).payment_status == "pending"
