"""Stripe disputes (chargebacks) through signed webhooks: recorded once, the unshipped order held,
staff told, the fraud chargeback label kept; statuses move forward only, whatever the delivery
order; the staff read API and its permission; subscription and invoice events ignored."""

from __future__ import annotations

import time

import pytest

from models.db import database, init_database
from models.disputes import Dispute
from models.fraud import FraudLabel
from models.jobs import Job
from models.migrate import apply_migrations
from models.orders import Order, OrderEvent, StripeEvent
from services import orders
from tests.api.test_stripe_payments import post_webhook
from tests.factories import make_user, place, quick_user, token_for, wait_tree
from tests.factories.http import assert_error
from tests.factories.jobs import fanout_job, notifications_of


def dispute_event(intent_id, event_type="charge.dispute.created", status="needs_response", dispute_id="dp_test_1",
                  event_id=None, amount=3686):
    obj = {"id": dispute_id, "object": "dispute", "amount": amount, "currency": "usd", "charge": "ch_test_1",
           "payment_intent": intent_id, "reason": "fraudulent", "status": status, "created": 1_765_000_000,
           "evidence_details": {"due_by": 1_765_600_000}}
    return {"id": event_id or f"evt_{dispute_id}_{event_type}_{status}", "object": "event", "type": event_type,
            "created": int(time.time()), "data": {"object": obj}}


def deliver(api, client, payload):
    """Post a signed event and wait for its job (and the jobs under it); returns the job dict."""
    status, body = post_webhook(client, payload)
    assert status == 200 and body["jobId"], body
    job = api.wait_job(body["jobId"])
    wait_tree(body["jobId"])
    return job


def opened_fanouts() -> int:
    return sum(j.payload.get("event") == "dispute.opened" for j in Job.select().where(Job.type == "event_fanout"))


@pytest.fixture()
def paid_order(api, stripe_ready):
    """A paid (confirmed) Stripe order: (order id, PaymentIntent id)."""
    _, result, _ = place(api, payment="stripe")
    assert orders.mark_paid(result["orderId"])
    return result["orderId"], result["paymentIntentId"]


def test_a_dispute_is_recorded_holds_the_unshipped_order_tells_staff_and_labels_a_chargeback(api, client,
                                                                                             paid_order):
    order_id, intent_id = paid_order
    staff = quick_user(role="staff")
    job = deliver(api, client, dispute_event(intent_id))
    assert job["state"] == "succeeded", job
    assert job["result"]["disputeOutcome"] == "recorded" and job["result"]["fraudLabel"] == "chargeback"
    dispute = Dispute.get(Dispute.stripe_id == "dp_test_1")
    assert (dispute.order_id, dispute.amount, dispute.currency, dispute.reason, dispute.status, dispute.hold) == \
        (order_id, 3686, "USD", "fraudulent", "needs_response", "held")
    assert dispute.evidence_due_by is not None and dispute.closed_at is None
    assert Order.get_by_id(order_id).status == "on_hold"
    hold = OrderEvent.get(OrderEvent.order == order_id, OrderEvent.type == "on_hold")
    assert hold.data == {"reason": "dispute", "disputeId": dispute.id}
    assert FraudLabel.get(FraudLabel.order == order_id).source == "chargeback"
    fanout = fanout_job("dispute.opened", dispute.id)
    wait_tree(fanout.id)
    sent = notifications_of(Job.get_by_id(fanout.id))
    assert {n.user_id for n in sent} == {staff.id} and {n.channel for n in sent} == {"email", "in_app"}
    context = sent[0].context
    assert context["dispute"]["stripeId"] == "dp_test_1" and context["dispute"]["held"] is True
    assert context["order"]["id"] == order_id

    status, body = post_webhook(client, dispute_event(intent_id))  # the same delivery again
    assert status == 200 and body == {"received": True, "duplicate": True, "ignored": False}
    assert Dispute.select().count() == 1 and FraudLabel.select().count() == 1
    assert opened_fanouts() == 1


def test_updates_and_closing_move_the_status_forward_and_a_late_created_never_moves_it_back(api, client,
                                                                                           paid_order):
    order_id, intent_id = paid_order
    job = deliver(api, client, dispute_event(intent_id, "charge.dispute.updated", "under_review"))
    assert job["result"]["disputeOutcome"] == "recorded"  # the update came first: it records the dispute
    job = deliver(api, client, dispute_event(intent_id))  # the older `created` arrives late
    assert job["result"]["disputeOutcome"] == "unchanged" and job["result"]["fraudLabel"] == "chargeback"
    assert Dispute.get().status == "under_review"
    job = deliver(api, client, dispute_event(intent_id, "charge.dispute.funds_withdrawn", "under_review"))
    assert Dispute.get().funds_withdrawn is True
    job = deliver(api, client, dispute_event(intent_id, "charge.dispute.closed", "won"))
    assert job["result"] == {**job["result"], "disputeOutcome": "updated", "disputeStatus": "won"}
    deliver(api, client, dispute_event(intent_id, "charge.dispute.updated", "under_review", event_id="evt_late"))
    dispute = Dispute.get()
    assert (dispute.status, dispute.hold) == ("won", "held") and dispute.closed_at is not None
    closed = list(OrderEvent.select().where(OrderEvent.order == order_id, OrderEvent.type == "dispute_closed"))
    assert [e.data for e in closed] == [{"disputeId": dispute.id, "outcome": "won"}]
    assert Order.get_by_id(order_id).status == "on_hold"  # staff decide
    assert Dispute.select().count() == 1
    assert opened_fanouts() == 1


def test_a_dispute_of_a_shipped_order_is_recorded_without_a_hold(api, client, paid_order):
    order_id, intent_id = paid_order
    orders.update_status(Order.get_by_id(order_id), "shipped", tracking_number="1Z999")
    job = deliver(api, client, dispute_event(intent_id))
    assert job["state"] == "succeeded" and job["result"]["disputeOutcome"] == "recorded"
    assert Dispute.get().hold == "none" and Order.get_by_id(order_id).status == "shipped"


def test_a_dispute_of_a_payment_intent_cartwheel_does_not_know_succeeds_without_recording(api, client, stripe_ready):
    job = deliver(api, client, dispute_event("pi_not_ours"))
    assert job["state"] == "succeeded", job
    assert job["result"]["disputeOutcome"] == "payment_not_found" and job["result"]["fraudLabel"] is None
    assert Dispute.select().count() == 0


def test_a_fraud_approval_leaves_a_dispute_hold_and_staff_release_it(api, client, paid_order):
    order_id, intent_id = paid_order
    deliver(api, client, dispute_event(intent_id))
    dispute = Dispute.get()
    assert orders.release_hold(order_id) is False  # the fraud-review release path
    assert Order.get_by_id(order_id).status == "on_hold"
    staff = token_for(quick_user(role="staff"))
    status, body, _ = api.post(f"/api/v1/disputes/{dispute.id}/release-hold", {}, token=staff)
    assert status == 200 and body["orderReleased"] is True and body["data"]["hold"] == "released", body
    assert Order.get_by_id(order_id).status == "confirmed"
    status, body, _ = api.post(f"/api/v1/disputes/{dispute.id}/release-hold", {}, token=staff)
    assert_error(status, body, 409, "dispute_not_holding")


def test_staff_list_and_read_disputes_and_see_them_in_the_order(api, client, paid_order):
    order_id, intent_id = paid_order
    deliver(api, client, dispute_event(intent_id))
    dispute = Dispute.get()
    customer, staff = token_for(make_user()), token_for(quick_user(role="staff"))
    for path in ("/api/v1/disputes", f"/api/v1/disputes/{dispute.id}"):
        assert_error(*api.get(path)[:2], 401)
        assert_error(*api.get(path, token=customer)[:2], 403, "insufficient_role")
    status, body, _ = api.get("/api/v1/disputes?status=needs_response", token=staff)
    assert status == 200 and [d["id"] for d in body["data"]] == [dispute.id], body
    assert body["pagination"]["total"] == 1
    status, body, _ = api.get("/api/v1/disputes?status=won", token=staff)
    assert status == 200 and body["data"] == [] and body["pagination"]["total"] == 0
    status, body, _ = api.get(f"/api/v1/disputes/{dispute.id}", token=staff)
    assert status == 200 and body["data"]["stripeDisputeId"] == "dp_test_1" and body["data"]["amount"] == 3686
    assert body["data"]["orderId"] == order_id and body["data"]["status"] == "needs_response"
    status, body, _ = api.get(f"/api/v1/orders/{order_id}", token=staff)
    assert status == 200 and [d["id"] for d in body["data"]["disputes"]] == [dispute.id]
    status, body, _ = api.get(f"/api/v1/orders/{order_id}")  # a guest order read by its id: no disputes
    assert status == 200 and "disputes" not in body["data"]


def test_dispute_reads_reject_unknown_ids_and_statuses(api, db):
    staff = token_for(quick_user(role="staff"))
    assert_error(*api.get("/api/v1/disputes/dsp_doesnotexist", token=staff)[:2], 404, "dispute_not_found")
    status, body, _ = api.get("/api/v1/disputes?status=open", token=staff)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert_error(*api.post("/api/v1/disputes/dsp_doesnotexist/release-hold", {}, token=staff)[:2], 404)


@pytest.mark.parametrize("event_type", ["customer.subscription.created", "customer.subscription.updated",
                                        "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
                                        "invoice.finalized"])
def test_subscription_and_invoice_events_are_acknowledged_and_ignored(client, stripe_ready, event_type):
    before = Job.select().count()
    status, body = post_webhook(client, {"id": f"evt_{event_type}", "object": "event", "type": event_type,
                                         "created": int(time.time()), "data": {"object": {"id": "sub_1"}}})
    assert status == 200 and body == {"received": True, "duplicate": False, "ignored": True}
    assert Job.select().count() == before and StripeEvent.select().count() == 0


def test_migration_0034_creates_the_dispute_table(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'disputes.db'}")
    with database.connection_context():
        apply_migrations(target="0030_payment_status_length")
        assert "dispute" not in database.get_tables()
        assert "0034_disputes" in apply_migrations()
        assert "dispute" in database.get_tables()
