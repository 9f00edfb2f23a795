"""Orders: carts filled through the API, Create Order bodies, placed orders, Stripe test cards."""

from __future__ import annotations

import stripe

from models.jobs import Job
from tests.factories.catalog import first_variant, make_product

ADDRESS = {"firstName": "Ahmed", "lastName": "Khalil", "email": "ahmed@example.com", "phone": "+962791234567",
           "country": "JO", "city": "Amman", "street": "Queen Rania Street", "postalCode": "11118"}


def fill_cart(api, product, quantity=1, token=None):
    status, body, _ = api.post("/api/v1/cart", {"currency": "USD"}, token=token)
    assert status == 201, body
    cart_id = body["data"]["id"]
    variant = first_variant(product)
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items",
                               {"productId": product.id, "variantId": variant.id, "quantity": quantity}, token=token)
    assert status == 200, body
    return cart_id


def checkout_body(cart_id, payment="cash_on_delivery", **extra):
    return {"cartId": cart_id, "shippingAddress": ADDRESS, "billingAddress": "same", "shippingMethod": "standard",
            "paymentMethod": payment, **extra}


def place_order(api, product, token=None, quantity=1) -> str:
    cart_id = fill_cart(api, product, quantity=quantity, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token)
    assert status == 202, body
    job = api.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded", job
    return job["result"]["orderId"]


def place(api, payment="cash_on_delivery", stock=5, headers=None):
    product = make_product(price=2950, stock=stock)
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment=payment),
                               headers={"Prefer": "wait=10", **(headers or {})})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    checkout_job = body["data"]
    fraud_job = Job.get(Job.type == "fraud_score", Job.parent_id == checkout_job["id"])
    return product, checkout_job["result"], api.wait_job(fraud_job.id)


def card(number="4242424242424242"):
    return stripe.PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2034,
                                                          "cvc": "123"})
