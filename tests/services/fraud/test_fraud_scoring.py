"""fraud_score jobs through the real worker: allow, review (hold, approve, reject + refund) and
block (cancel, stock released, PaymentIntent voided or refunded once through the orders'
`payment_refund` job), client IP capture."""

import stripe

from models.catalog import InventoryLevel
from models.fraud import FraudAssessment, FraudLabel, FraudSignal
from models.orders import Order, Payment, Refund
from services import fraud
from services.platform import jobs
from tests.factories import card, first_variant, place, wait_until
from workers.dispatch import dispatch


def set_rule(api, token, text):
    status, body, _ = api.get("/api/v1/admin/fraud/rules", token=token)
    for rule in body["data"]:
        assert api.delete(f"/api/v1/admin/fraud/rules/{rule['id']}", token=token)[0] == 204
    status, body, _ = api.post("/api/v1/admin/fraud/rules", {"rule": text}, token=token)
    assert status == 201, body
    return body["data"]


def test_an_order_with_no_model_is_not_assessed_and_allowed(api, admin_token):
    product, result, job = place(api, headers={"X-Forwarded-For": "10.1.1.1, 81.2.69.160"})
    assert job["state"] == "succeeded", job
    assert job["progress"]["percentage"] == 100
    assert job["result"]["riskLevel"] == "not_assessed" and job["result"]["riskScore"] is None
    assert job["result"]["decision"] == "allow" and job["result"]["probability"] is None
    order = Order.get_by_id(result["orderId"])
    assert order.status == "confirmed"
    assert order.client_ip == "81.2.69.160"  # the rightmost X-Forwarded-For entry behind a local proxy
    signal = FraudSignal.get(FraudSignal.order == order.id)
    assert signal.ip_country == "GB" and signal.shipping_country == "JO"
    assert job["result"]["features"]["ip_shipping_country_mismatch"] == 1.0
    status, body, _ = api.get(f"/api/v1/admin/fraud/orders/{order.id}/assessment", token=admin_token)
    assert status == 200 and body["data"]["id"] == job["result"]["id"]


def test_review_holds_the_order_and_approval_releases_it(api, admin_token):
    rule = set_rule(api, admin_token, "review if amount > 0 and is_new_customer")
    _, result, job = place(api)
    assert job["result"]["decision"] == "review" and job["result"]["ruleId"] == rule["id"]
    assert job["result"]["rule"] == "review if amount > 0 and is_new_customer"
    order_id = result["orderId"]
    assert Order.get_by_id(order_id).status == "on_hold"
    status, body, _ = api.get("/api/v1/admin/fraud/reviews", token=admin_token)
    assert status == 200 and [i["order"]["id"] for i in body["data"]] == [order_id]
    assert body["data"][0]["assessment"]["reviewStatus"] == "pending"
    status, body, _ = api.post(f"/api/v1/admin/fraud/reviews/{order_id}/approve", token=admin_token)
    assert status == 200 and body["data"]["reviewStatus"] == "approved", body
    assert Order.get_by_id(order_id).status == "confirmed"
    assert FraudLabel.get(FraudLabel.order == order_id).source == "admin_approval"
    status, body, _ = api.post(f"/api/v1/admin/fraud/reviews/{order_id}/approve", token=admin_token)
    assert status == 409 and body["error"]["code"] == "CONFLICT"
    assert api.get("/api/v1/admin/fraud/reviews", token=admin_token)[1]["data"] == []


def test_block_cancels_releases_stock_and_voids_the_payment_intent(api, admin_token, stripe_ready):
    set_rule(api, admin_token, "block if amount >= 100")
    product, result, job = place(api, payment="stripe", stock=3)
    assert job["state"] == "succeeded", job
    assert job["result"]["decision"] == "block"
    # the void is the payment_refund job's; the fraud job may even run before the PaymentIntent is stored
    assert job["result"]["outcome"]["payment"] in ("refund_requested", "none", "voided"), job
    assert job["result"]["outcome"]["stockReleased"]
    wait_until(lambda: Payment.get(Payment.order == result["orderId"]).status == "canceled", what="the void")
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 3
    assert stripe.PaymentIntent.retrieve(result["paymentIntentId"]).status == "canceled"


def test_rejecting_a_paid_held_order_refunds_it_once_even_when_rescored(api, admin_token, stripe_ready):
    set_rule(api, admin_token, "review if amount > 0")
    product, result, job = place(api, payment="stripe", stock=2)
    order_id = result["orderId"]
    assert Order.get_by_id(order_id).status == "on_hold"
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card().id},
                               headers={"Prefer": "wait=10"})
    assert body["data"]["state"] == "succeeded", body
    order = Order.get_by_id(order_id)
    assert (order.status, order.payment_status) == ("on_hold", "paid")  # paying does not lift the hold

    status, body, _ = api.post(f"/api/v1/admin/fraud/reviews/{order_id}/reject", token=admin_token)
    assert status == 200 and body["data"]["outcome"]["payment"] == "refund_requested", body
    wait_until(lambda: Order.get_by_id(order_id).payment_status == "refunded", what="the refund")
    assert Refund.get(Refund.order == order_id).reason == "fraud_rejected"
    order = Order.get_by_id(order_id)
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 2
    assert FraudLabel.get(FraudLabel.order == order_id).source == "admin_rejection"
    refunds = stripe.Refund.list(payment_intent=result["paymentIntentId"])
    assert len(refunds.data) == 1

    # rescoring (a new job) and re-applying an old assessment never refund again
    set_rule(api, admin_token, "block if amount > 0")
    with_ids = jobs.create_job("fraud_score", {"orderId": order_id})
    dispatch(with_ids)
    rescored = api.wait_job(with_ids.id)
    assert rescored["state"] == "succeeded" and rescored["result"]["decision"] == "block", rescored
    assert rescored["result"]["outcome"]["payment"] == "refunded"
    fraud.apply_decision(FraudAssessment.get_by_id(rescored["result"]["id"]))
    legacy = jobs.create_job("fraud_score", {"orderId": order_id, "refundOnly": True})  # queued by older versions
    dispatch(legacy)
    assert api.wait_job(legacy.id)["result"] == {"orderId": order_id, "payment": "refunded"}
    assert len(stripe.Refund.list(payment_intent=result["paymentIntentId"]).data) == 1
    assert Refund.select().where(Refund.order == order_id).count() == 1
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 2
    assert Payment.get(Payment.order == order_id).status == "refunded"


def test_our_own_refund_of_a_cancelled_order_is_not_a_fraud_label(api, admin_token, stripe_ready):
    _, result, _ = place(api, payment="stripe")
    order_id = result["orderId"]
    api.post(f"/api/v1/orders/{order_id}/payment", {"paymentMethod": "stripe", "paymentMethodId": card().id},
             headers={"Prefer": "wait=10"})
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"}, token=admin_token)
    assert status == 200, body
    wait_until(lambda: Order.get_by_id(order_id).payment_status == "refunded", what="the refund")
    charge = {"id": "ch_test_1", "object": "charge", "payment_intent": result["paymentIntentId"]}
    assert fraud.record_stripe_label("charge.refunded", charge, "evt_refunded") is None
    assert not FraudLabel.select().where(FraudLabel.order == order_id).exists()


def test_a_refund_made_outside_cartwheel_labels_the_order_as_fraud(api, admin_token, stripe_ready):
    _, result, _ = place(api, payment="stripe")
    charge = {"id": "ch_test_2", "object": "charge", "payment_intent": result["paymentIntentId"]}
    assert fraud.record_stripe_label("charge.refunded", charge, "evt_refunded") == "refund"
    assert FraudLabel.get(FraudLabel.order == result["orderId"]).is_fraud


def test_a_dispute_event_labels_the_order_as_a_chargeback(api, admin_token, stripe_ready):
    _, result, _ = place(api, payment="stripe")
    obj = {"id": "dp_test_1", "object": "dispute", "payment_intent": result["paymentIntentId"]}
    assert fraud.record_stripe_label("charge.dispute.created", obj, "evt_1") == "chargeback"
    assert fraud.record_stripe_label("charge.dispute.created", obj, "evt_1") is None  # once
    assert FraudLabel.get(FraudLabel.order == result["orderId"]).is_fraud


def test_the_job_result_is_the_stored_assessment_and_a_duplicate_keeps_the_first(api, admin_token):
    from services.fraud import scoring

    product, result, job = place(api)
    assert job["state"] == "succeeded", job
    status, body, _ = api.get(f"/api/v1/admin/fraud/orders/{result['orderId']}/assessment", token=admin_token)
    assert status == 200 and body["data"] == job["result"]  # what the job answered is what was stored
    first = FraudAssessment.get(FraudAssessment.job_id == job["id"])
    row = scoring._assessment_row(result["orderId"], job["id"], scoring.assess_many([result["orderId"]])[
        result["orderId"]])  # a concurrent duplicate of the same job, arriving second
    saved = scoring._insert_assessments([row])
    assert saved[job["id"]].id == first.id and row["id"] != first.id
    assert FraudAssessment.select().where(FraudAssessment.job_id == job["id"]).count() == 1
