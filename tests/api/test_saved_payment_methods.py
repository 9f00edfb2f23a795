"""Saved payment methods against localstripe (seed 001 `/payments/methods`, seed 004
`savePaymentMethod`): a SetupIntent, saving by SetupIntent or PaymentMethod, the default,
another customer's card, deleting (detached at Stripe), paying with a saved card, and seed 001's
create-intent / confirm. A declined card on the waited path is 402 PAYMENT_ERROR with its code."""

from __future__ import annotations

import stripe

from models.catalog import InventoryLevel
from models.jobs import Job
from models.orders import Order
from models.payment_methods import SavedPaymentMethod, StripeCustomer
from tests.factories import (assert_error, card, checkout_body, fill_cart, first_variant, make_product, quick_user,
                             token_for)

URL = "/api/v1/payments/methods"
WAIT = {"Prefer": "wait=10"}


def save(api, token, body, expected="succeeded"):
    status, answer, _ = api.post(URL, body, token=token, headers=WAIT)
    assert status == 200 and answer["data"]["state"] == expected, answer
    return answer["data"]["result"] if expected == "succeeded" else answer["data"]


def stripe_order(api, token, stock=5, price=2950):
    product = make_product(price=price, stock=stock)
    cart_id = fill_cart(api, product, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe"), token=token, headers=WAIT)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return product, body["data"]["result"]


def test_a_card_saved_through_a_setup_intent_is_listed_as_my_default(api, user, token, stripe_ready):
    status, body, _ = api.post(f"{URL}/setup-intent", token=token, headers=WAIT)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    setup = body["data"]["result"]
    assert setup["setupIntentId"].startswith("seti_") and setup["clientSecret"].startswith(setup["setupIntentId"])
    customer_id = StripeCustomer.get(StripeCustomer.user == user.id).stripe_customer_id
    assert setup["customerId"] == customer_id and stripe.Customer.retrieve(customer_id).metadata["userId"] == user.id
    # The storefront confirms the SetupIntent with the card (Stripe.js); here the SDK does.
    stripe.SetupIntent.confirm(setup["setupIntentId"], payment_method=card().id)
    saved = save(api, token, {"setupIntentId": setup["setupIntentId"]})
    assert saved["id"].startswith("spm_") and saved["isDefault"] is True
    assert (saved["brand"], saved["last4"], saved["expMonth"], saved["expYear"]) == ("visa", "4242", 12, 2034)
    pm_id = SavedPaymentMethod.get_by_id(saved["id"]).stripe_payment_method_id
    assert stripe.PaymentMethod.retrieve(pm_id).customer == customer_id
    status, body, _ = api.get(URL, token=token)
    assert status == 200 and [m["id"] for m in body["data"]] == [saved["id"]]
    assert "stripePaymentMethodId" not in body["data"][0] and "fingerprint" not in body["data"][0]


def test_an_unconfirmed_or_foreign_setup_intent_saves_nothing(api, user, token, stripe_ready):
    setup = api.post(f"{URL}/setup-intent", token=token, headers=WAIT)[1]["data"]["result"]
    job = save(api, token, {"setupIntentId": setup["setupIntentId"]}, expected="failed")
    assert job["error"]["reason"] == "setup_intent_not_succeeded", job
    other = token_for(quick_user())
    stripe.SetupIntent.confirm(setup["setupIntentId"], payment_method=card().id)
    job = save(api, other, {"setupIntentId": setup["setupIntentId"]}, expected="failed")
    assert job["error"]["reason"] == "setup_intent_not_found", job
    assert SavedPaymentMethod.select().count() == 0


def test_the_default_moves_and_deleting_it_promotes_the_newest_card(api, user, token, stripe_ready):
    first = save(api, token, {"paymentMethodId": card().id})
    second = save(api, token, {"paymentMethodId": card("5555555555554444").id})
    third = save(api, token, {"paymentMethodId": card().id, "isDefault": True})
    assert first["isDefault"] and not second["isDefault"] and third["isDefault"]
    assert [m["id"] for m in api.get(URL, token=token)[1]["data"] if m["isDefault"]] == [third["id"]]
    status, body, _ = api.put(f"{URL}/{second['id']}/default", token=token)
    assert status == 200 and body["data"]["isDefault"] is True
    assert SavedPaymentMethod.select().where(SavedPaymentMethod.is_default).count() == 1
    pm_id = SavedPaymentMethod.get_by_id(second["id"]).stripe_payment_method_id
    status, body, _ = api.delete(f"{URL}/{second['id']}", token=token)
    assert status == 200, body
    listed = api.get(URL, token=token)[1]["data"]
    assert [m["id"] for m in listed] == [third["id"], first["id"]] and listed[0]["isDefault"]
    detach = Job.get(Job.type == "payment_method_detach")
    assert api.wait_job(detach.id, token=token)["result"] == {"paymentMethodId": pm_id, "detached": True}
    assert stripe.PaymentMethod.retrieve(pm_id).customer is None


def test_another_customers_card_is_404_and_cannot_be_taken(api, user, token, stripe_ready):
    mine = save(api, token, {"paymentMethodId": (pm := card()).id})
    other = token_for(quick_user())
    assert_error(*api.delete(f"{URL}/{mine['id']}", token=other)[:2], 404, "payment_method_not_found")
    assert_error(*api.put(f"{URL}/{mine['id']}/default", token=other)[:2], 404, "payment_method_not_found")
    job = save(api, other, {"paymentMethodId": pm.id}, expected="failed")
    assert job["error"]["code"] == "CONFLICT" and job["error"]["reason"] == "payment_method_taken"
    assert api.get(URL, token=other)[1]["data"] == []
    assert SavedPaymentMethod.get_by_id(mine["id"]).user_id == user.id


def test_bad_requests_are_refused_in_the_envelope(api, token, stripe_ready):
    assert_error(*api.get(URL)[:2], 401)
    assert_error(*api.post(URL, {"paymentMethodId": "pm_x", "setupIntentId": "seti_x"}, token=token)[:2], 422)
    assert_error(*api.post(URL, {}, token=token)[:2], 422)
    assert_error(*api.post(URL, {"paymentMethodId": "nope"}, token=token)[:2], 422)
    assert_error(*api.post(URL, {"paymentMethodId": card().id, "isDefault": "yes"}, token=token)[:2], 422)
    job = save(api, token, {"paymentMethodId": card("4000000000000002").id}, expected="failed")
    assert job["error"]["code"] == "PAYMENT_ERROR" and job["error"]["declineCode"] == "card_declined", job
    assert Job.select().where(Job.type == "payment_method_save").count() == 1
    assert SavedPaymentMethod.select().count() == 0


def test_paying_with_a_saved_card_and_saving_the_card_paid_with(api, user, token, stripe_ready):
    _, placed = stripe_order(api, token)
    pm = card()
    status, body, _ = api.post(f"/api/v1/orders/{placed['orderId']}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": pm.id, "savePaymentMethod": True},
                               token=token, headers=WAIT)
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    saved = SavedPaymentMethod.get(SavedPaymentMethod.stripe_payment_method_id == pm.id)
    assert saved.user_id == user.id and saved.is_default
    _, again = stripe_order(api, token)
    status, body, _ = api.post("/api/v1/payments/confirm", {"orderId": again["orderId"],
                                                            "savedPaymentMethodId": saved.id},
                               token=token, headers=WAIT)
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    intent = stripe.PaymentIntent.retrieve(again["paymentIntentId"])
    assert intent.payment_method == pm.id and intent.customer == StripeCustomer.get_by_id(user.id).stripe_customer_id
    assert Order.get_by_id(again["orderId"]).payment_status == "paid"


def test_a_guest_can_neither_save_nor_use_a_saved_card(api, stripe_ready):
    product = make_product(stock=3)
    cart_id = fill_cart(api, product)
    placed = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe"), headers=WAIT)[1]["data"]["result"]
    url = f"/api/v1/orders/{placed['orderId']}/payment"
    assert_error(*api.post(url, {"paymentMethod": "stripe", "paymentMethodId": card().id,
                                 "savePaymentMethod": True})[:2], 400, "save_requires_account")
    assert_error(*api.post(url, {"paymentMethod": "stripe", "savedPaymentMethodId": "spm_abc"})[:2], 400,
                 "save_requires_account")


def test_create_intent_answers_the_orders_payment_intent(api, user, token, stripe_ready):
    _, placed = stripe_order(api, token)
    status, body, _ = api.post("/api/v1/payments/create-intent", {"orderId": placed["orderId"]}, token=token,
                               headers=WAIT)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    result = body["data"]["result"]
    assert result["paymentIntentId"] == placed["paymentIntentId"] and result["clientSecret"] == placed["clientSecret"]
    assert (result["amount"], result["currency"]) == (placed["total"], "USD")
    other = token_for(quick_user())
    assert_error(*api.post("/api/v1/payments/create-intent", {"orderId": placed["orderId"]}, token=other)[:2], 404)
    cod = make_product(stock=2)
    cod_cart = fill_cart(api, cod, token=token)
    cod_order = api.post("/api/v1/orders", checkout_body(cod_cart), token=token, headers=WAIT)[1]["data"]["result"]
    assert_error(*api.post("/api/v1/payments/create-intent", {"orderId": cod_order["orderId"]}, token=token)[:2],
                 400, "payment_method_mismatch")


def test_a_declined_card_is_402_with_its_decline_code_when_waiting(api, user, token, stripe_ready):
    product, placed = stripe_order(api, token, stock=3)
    variant = first_variant(product)
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 2
    status, body, headers = api.post("/api/v1/payments/confirm", {"orderId": placed["orderId"],
                                                                  "paymentMethodId": card("4000000000000341").id},
                                     token=token, headers=WAIT)
    assert_error(status, body, 402, "card_declined")
    assert body["error"]["code"] == "PAYMENT_ERROR"
    details = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert details["declineCode"] == "card_declined" and headers["Location"] == f"/api/v1/jobs/{details['jobId']}"
    job = api.wait_job(details["jobId"], token=token)
    assert job["state"] == "failed" and job["result"]["declineCode"] == "card_declined", job
    assert Order.get_by_id(placed["orderId"]).payment_status == "failed"
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 3
    # Without Prefer: wait the answer stays 202 with the job.
    _, again = stripe_order(api, token)
    status, body, _ = api.post("/api/v1/payments/confirm", {"orderId": again["orderId"],
                                                            "paymentMethodId": card("4000000000000341").id},
                               token=token)
    assert status == 202 and body["data"]["type"] == "payment"


def test_concurrent_default_changes_and_deletes_keep_exactly_one_default(app, api, user, token, stripe_ready):
    from concurrent.futures import ThreadPoolExecutor

    from tests.factories import ApiClient

    saved = [save(api, token, {"paymentMethodId": card().id})["id"] for _ in range(4)]

    def act(i):
        client = ApiClient(app.test_client())
        if i in (2, 5):  # deletes saved[2] and saved[1]; the others keep moving the default
            return client.delete(f"{URL}/{saved[i % 4]}", token=token)[0]
        return client.put(f"{URL}/{saved[i % 4]}/default", token=token)[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(act, range(12)))
    assert set(statuses) <= {200, 404}, statuses
    left = SavedPaymentMethod.select().where(SavedPaymentMethod.user == user.id)
    assert left.count() == 2 and sum(1 for m in left if m.is_default) == 1
