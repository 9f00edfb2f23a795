"""E2E on the production shape: gunicorn + dramatiq workers + scheduler on PostgreSQL + Redis,
with localstripe as Stripe (its webhooks signed and delivered to the server over HTTP)."""

from __future__ import annotations

import csv
import io
import time

import pytest
import stripe

from tests.e2e import flows
from tests.e2e.stack import WEBHOOK_SECRET, Http

ADMIN_EMAIL = "e2e-admin@cartwheel.test"
ADMIN_PASSWORD = "orchid-lantern-e2e-7"


@pytest.fixture(scope="module")
def http(production):
    return Http(production.base)


@pytest.fixture(scope="module")
def admin_token(production, http):
    production.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)  # `flask --app web users create-admin`
    return flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_health_reports_postgresql_and_redis(http):
    status, body, _ = http.get("/api/v1/health")
    assert status == 200, body
    assert body["database"]["status"] == "ok" and "Postgres" in body["database"]["engine"], body
    assert body["broker"]["status"] == "ok" and body["broker"]["kind"] == "RedisBroker", body


def test_customer_buys_with_cash_on_delivery(http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, price=2950, stock=5)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id, quantity=2)

    result = flows.checkout(http, token, cart["id"], "cash_on_delivery")

    order = flows.get_order(http, token, result["orderId"])
    assert order["orderNumber"] == result["orderNumber"]
    assert order["status"] == "confirmed"
    assert order["paymentStatus"] == "pending"
    assert order["paymentMethod"] == "cash_on_delivery"
    assert order["subtotal"] == 5900 and order["total"] == order["subtotal"] + order["tax"] + order["shipping"]
    status, body, _ = http.get(f"/api/v1/products/{product_id}")
    assert status == 200 and body["data"]["variants"][0]["inventoryCount"] == 3, body
    # The cart was converted once: checking it out again is refused.
    status, body, _ = http.post("/api/v1/orders", flows.order_body(cart["id"], "cash_on_delivery"), token=token)
    assert status == 409, (status, body)


def test_customer_pays_by_stripe_card_and_the_webhook_marks_the_order_paid(production, http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, price=4500, stock=10)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id, quantity=1)

    result = flows.checkout(http, token, cart["id"], "stripe")
    assert result["clientSecret"] and result["paymentIntentId"].startswith("pi_"), result
    order = flows.get_order(http, token, result["orderId"])
    assert order["paymentStatus"] in ("pending", "processing"), order

    client = stripe.StripeClient("sk_test_x", base_addresses={"api": production.stripe_base},
                                 max_network_retries=0)
    pm = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    status, body, hdrs = http.post(f"/api/v1/orders/{result['orderId']}/payment",
                                   {"paymentMethod": "stripe", "paymentMethodId": pm.id}, token=token)
    assert status == 202, (status, body)
    assert hdrs["Location"].endswith(body["data"]["id"])
    job = http.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded", job

    order = flows.wait_order(http, token, result["orderId"], lambda o: o["paymentStatus"] == "paid")
    assert order["status"] == "confirmed"
    intent = client.v1.payment_intents.retrieve(result["paymentIntentId"])
    assert intent.status == "succeeded" and intent.amount == order["total"]
    # localstripe's signed webhook (payment_intent.succeeded) reaches the server over
    # HTTP, passes the signature check and becomes a stripe_event job; the order stays paid.
    deadline = time.monotonic() + 20
    while True:
        status, body, _ = http.get("/api/v1/jobs?type=stripe_event&state=succeeded", token=admin_token)
        assert status == 200, body
        if body["pagination"]["total"] >= 1:
            break
        assert time.monotonic() < deadline, "no Stripe webhook event was processed"
        time.sleep(0.2)
    order = flows.get_order(http, token, result["orderId"])
    assert (order["status"], order["paymentStatus"]) == ("confirmed", "paid")


def _pay_by_card(production, http, token, order_id):
    """Pay the order with a test card through Process Payment; returns (the Stripe client on
    localstripe, the order once paid)."""
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": production.stripe_base},
                                 max_network_retries=0)
    pm = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    status, body, _ = http.post(f"/api/v1/orders/{order_id}/payment",
                                {"paymentMethod": "stripe", "paymentMethodId": pm.id}, token=token)
    assert status == 202 and http.wait_job(body["data"]["id"], token=token)["state"] == "succeeded", body
    return client, flows.wait_order(http, token, order_id, lambda o: o["paymentStatus"] == "paid")


def test_promo_card_order_partly_refunded_by_staff_then_cancelled_by_the_customer(production, http, admin_token):
    """Issue 10 on the production shape: a promo code at checkout, a staff partial refund through
    Stripe, then the customer cancels and the rest is refunded; the promo use comes back."""
    product_id, variant_id = flows.create_product(http, admin_token, price=5000, stock=10)
    code = flows.unique("E2E").upper().replace("-", "")[:20]
    status, body, _ = http.post("/api/v1/promos", {"code": code, "type": "percentage", "value": 10, "usageLimit": 5},
                                token=admin_token)
    assert status == 201, body
    promo_id = body["data"]["id"]
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id, quantity=1)
    status, body, _ = http.post("/api/v1/checkout/discount", {"cartId": cart["id"], "discountCode": code}, token=token)
    assert status == 200 and body["data"]["discountAmount"] == 500, body
    result = flows.checkout(http, token, cart["id"], "stripe")
    client, order = _pay_by_card(production, http, token, result["orderId"])
    assert order["discount"] == 500 and order["discountCode"] == code

    status, body, _ = http.post(f"/api/v1/orders/{order['id']}/refunds", {"amount": 1000, "reason": "goodwill"},
                                token=admin_token)
    assert status == 201 and http.wait_job(body["data"]["jobId"], token=admin_token)["state"] == "succeeded", body
    flows.wait_order(http, token, order["id"], lambda o: o["paymentStatus"] == "partially_refunded")

    status, body, _ = http.put(f"/api/v1/orders/{order['id']}/cancel", {"reason": "changed my mind"}, token=token)
    assert status == 200 and body["data"]["status"] == "cancelled", body
    order = flows.wait_order(http, token, order["id"], lambda o: o["paymentStatus"] == "refunded")
    assert sum(r["amount"] for r in order["refunds"] if r["status"] == "succeeded") == order["total"], order
    intent = client.v1.payment_intents.retrieve(result["paymentIntentId"])
    assert sum(r.amount for r in client.v1.refunds.list({"payment_intent": intent.id}).data) == order["total"]
    status, body, _ = http.get(f"/api/v1/promos/{promo_id}", token=admin_token)
    assert status == 200 and body["data"]["usedCount"] == 0, body
    status, body, _ = http.get(f"/api/v1/orders/{order['id']}/tracking", token=token)
    assert [e["type"] for e in body["data"]["events"]][-1] in ("cancelled", "refunded"), body


def _signed_event(payload: dict) -> tuple[bytes, dict]:
    """A Stripe event signed with the stack's webhook secret, as Stripe signs its deliveries."""
    import hashlib
    import hmac
    import json

    raw = json.dumps(payload).encode()
    t = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"}


def test_a_dispute_on_a_paid_card_order_holds_it_for_staff(production, http, admin_token):
    """Issue 10 on the production shape: Stripe's `charge.dispute.created` for a paid card order,
    delivered signed over HTTP, records the dispute, holds the unshipped order and reaches staff."""
    product_id, variant_id = flows.create_product(http, admin_token, price=3900, stock=5)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id, quantity=1)
    result = flows.checkout(http, token, cart["id"], "stripe")
    client, order = _pay_by_card(production, http, token, result["orderId"])
    dispute_id = flows.unique("dp_e2e").replace("-", "_")
    event = {"id": f"evt_{dispute_id}", "object": "event", "type": "charge.dispute.created",
             "created": int(time.time()),
             "data": {"object": {"id": dispute_id, "object": "dispute", "amount": order["total"], "currency": "usd",
                                 "payment_intent": result["paymentIntentId"], "reason": "fraudulent",
                                 "status": "needs_response", "created": int(time.time()),
                                 "evidence_details": {"due_by": int(time.time()) + 7 * 86400}}}}
    raw, headers = _signed_event(event)
    response = http.session.post(http.base + "/api/v1/webhooks/stripe", data=raw, headers=headers, timeout=30)
    assert response.status_code == 200 and response.json()["jobId"], response.text
    assert http.wait_job(response.json()["jobId"], token=admin_token)["state"] == "succeeded"
    order = flows.wait_order(http, token, order["id"], lambda o: o["status"] == "on_hold")
    status, body, _ = http.get("/api/v1/disputes?status=needs_response", token=admin_token)
    assert status == 200 and any(d["orderId"] == order["id"] for d in body["data"]), body


def _saved_card(http, token, client, number):
    """A card saved through a SetupIntent, as a storefront does (Stripe.js confirms it)."""
    status, body, _ = http.post("/api/v1/payments/methods/setup-intent", token=token)
    assert status == 202, body
    setup = http.wait_job(body["data"]["id"], token=token)["result"]
    pm = client.v1.payment_methods.create({"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.setup_intents.confirm(setup["setupIntentId"], {"payment_method": pm.id})
    status, body, _ = http.post("/api/v1/payments/methods", {"setupIntentId": setup["setupIntentId"],
                                                             "isDefault": True}, token=token)
    assert status == 202, body
    job = http.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded", job
    return job["result"]


def test_one_click_with_a_saved_card_and_a_declined_saved_card(production, http, admin_token):
    """Issue 10 on the production shape: a card saved through a SetupIntent, one-click checkout
    charging it in the checkout job, then a saved card that is declined: 402 with its code."""
    product_id, _ = flows.create_product(http, admin_token, price=3100, stock=5)
    token = flows.register_customer(http)
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": production.stripe_base},
                                 max_network_retries=0)
    _saved_card(http, token, client, "4242424242424242")
    status, body, _ = http.post("/api/v1/users/addresses", {
        "firstName": "Layla", "lastName": "Haddad", "street": "Queen Rania Street", "city": "Amman",
        "postalCode": "11118", "country": "JO", "phone": "079 123 4567"}, token=token)
    assert status == 201, body
    status, body, _ = http.put("/api/v1/checkout/one-click/settings", {"enabled": True}, token=token)
    assert status == 200 and body["data"]["ready"], body
    security = body["data"]["securityToken"]
    status, body, _ = http.post("/api/v1/checkout/one-click", {"securityToken": security, "productId": product_id},
                                token=token, headers={"Prefer": "wait=10"})
    if status == 202:
        job = http.wait_job(body["data"]["id"], token=token)
    else:
        assert status == 200, body
        job = body["data"]
    assert job["state"] == "succeeded" and job["result"]["paymentStatus"] == "paid", job
    order = flows.get_order(http, token, job["result"]["orderId"])
    assert (order["status"], order["paymentStatus"], order["total"] > 3100) == ("confirmed", "paid", True)

    declined = _saved_card(http, token, client, "4000000000000341")  # attaches, every charge declined
    status, body, _ = http.put("/api/v1/checkout/one-click/settings",
                               {"enabled": True, "paymentMethodId": declined["id"]}, token=token)
    assert status == 200, body
    status, body, _ = http.post("/api/v1/checkout/one-click",
                                {"securityToken": body["data"]["securityToken"], "productId": product_id},
                                token=token, headers={"Prefer": "wait=10"})
    assert status == 402 and body["error"]["code"] == "PAYMENT_ERROR", body
    details = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert details["declineCode"] == "card_declined", body
    status, body, _ = http.get(f"/api/v1/products/{product_id}")
    assert status == 200 and body["data"]["variants"][0]["inventoryCount"] == 4, body


def test_checkout_with_the_same_idempotency_key_replays_the_job(http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, stock=5)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id)
    key = flows.unique("idem")

    first, _ = flows.submit_checkout(http, token, cart["id"], "cash_on_delivery", headers={"Idempotency-Key": key})
    status, body, hdrs = http.post("/api/v1/orders", flows.order_body(cart["id"], "cash_on_delivery"), token=token,
                                   headers={"Idempotency-Key": key})

    assert status in (200, 202), (status, body)
    assert body["data"]["id"] == first["id"]
    assert hdrs.get("Idempotent-Replayed") == "true"
    assert http.wait_job(first["id"], token=token)["state"] == "succeeded"


def test_prefer_wait_answers_with_the_finished_checkout(http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, stock=5)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id)

    status, body, _ = http.post("/api/v1/orders", flows.order_body(cart["id"], "cash_on_delivery"), token=token,
                                headers={"Prefer": "wait=10"})

    assert status == 200, (status, body)
    assert body["data"]["state"] == "succeeded" and body["data"]["result"]["orderId"], body


def _import_csv(prefix: str, rows: int) -> bytes:
    """A Shopify product CSV of `rows` single-variant products whose handles start with `prefix`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name",
                     "Option1 Value", "Variant SKU", "Variant Grams", "Variant Inventory Tracker",
                     "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
                     "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Taxable",
                     "Image Src", "Image Position", "Status"])
    for i in range(rows):
        writer.writerow([f"{prefix}-{i:05d}", f"Kill Test Product {i}", "<p>A product</p>", "e2e", "Test", "e2e",
                         "true", "Title", "Default Title", f"{prefix.upper()}-{i:05d}", "100", "shopify", "7",
                         "deny", "manual", "12.50", "", "true", "true", "", "", "active"])
    return out.getvalue().encode()


def test_job_whose_worker_is_killed_mid_run_finishes_once_after_redelivery(production, http, admin_token):
    prefix = flows.unique("killtest")
    rows = 800  # about 9 ms a row on PostgreSQL: several seconds of work to interrupt
    status, body, _ = http.post("/api/v1/admin/imports/products", token=admin_token,
                                files={"file": ("products.csv", _import_csv(prefix, rows), "text/csv")})
    assert status == 202, (status, body)
    job_id = body["data"]["id"]

    # Wait until a worker is visibly inside the job, then SIGKILL every dramatiq process.
    deadline = time.monotonic() + 60
    while True:
        job = http.wait_job(job_id, token=admin_token, states=("running", "succeeded", "failed", "cancelled"))
        if job["state"] != "running":
            pytest.fail(f"the import finished before it could be interrupted; make it bigger: {job}")
        if (job["progress"]["completed"] or 0) > 0:
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    for worker in production.workers:
        if worker.alive():
            worker.kill()
    status, body, _ = http.get(f"/api/v1/jobs/{job_id}", token=admin_token)
    assert body["data"]["state"] == "running", body  # the dead worker still holds the lease
    interrupted_at = body["data"]["progress"]["completed"]

    production.start_worker()
    job = http.wait_job(job_id, token=admin_token, timeout=120)

    assert job["state"] == "succeeded", job
    assert job["attempts"] >= 2, job
    assert interrupted_at < rows, job
    status, body, _ = http.get(f"/api/v1/products?search={prefix}&limit=1")
    assert status == 200, body
    assert body["pagination"]["total"] == rows, body["pagination"]  # each product once, none twice
    # A late duplicate of the first message is a no-op: the job stays succeeded, attempts unchanged.
    time.sleep(1)
    status, again, _ = http.get(f"/api/v1/jobs/{job_id}", token=admin_token)
    assert again["data"]["state"] == "succeeded" and again["data"]["attempts"] == job["attempts"]
