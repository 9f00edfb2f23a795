"""The job platform over HTTP: polling with ETag, Prefer: wait, cancel, SSE, admin retry,
the outbox relay and lease expiry."""

import datetime as dt
import json

import time

from models.carts import Cart
from models.catalog import InventoryLevel
from models.db import atomic, utcnow
from models.jobs import Job
from models.orders import Order
from services import orders
from services.orders import checkout
from services.platform import jobs
from tests.factories import checkout_body, fill_cart, first_variant, make_product, make_user, token_for
from web.orders import OrderCreateSchema
from workers import relay
from workers.dispatch import dispatch
from workers.runner import run_job


def undispatched_checkout(api):
    cart_id = fill_cart(api, make_product(stock=5))
    with atomic():
        return checkout.start_checkout(None, OrderCreateSchema().load(checkout_body(cart_id)))


def test_job_get_supports_etag_and_if_none_match(api):
    job = undispatched_checkout(api)
    status, body, headers = api.get(f"/api/v1/jobs/{job.id}")
    assert status == 200 and body["data"]["state"] == "queued"
    assert body["data"]["links"]["events"] == f"/api/v1/jobs/{job.id}/events"
    status, _, again = api.get(f"/api/v1/jobs/{job.id}", headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and again["ETag"] == headers["ETag"]
    dispatch(job)
    api.wait_job(job.id)
    status, _, _ = api.get(f"/api/v1/jobs/{job.id}", headers={"If-None-Match": headers["ETag"]})
    assert status == 200


def test_prefer_wait_answers_200_with_the_finished_job(api):
    cart_id = fill_cart(api, make_product(stock=5))
    status, body, headers = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded"
    assert headers["Preference-Applied"] == "wait=10"
    assert body["data"]["progress"]["percentage"] == 100


def test_a_cancelled_queued_job_never_runs(api):
    job = undispatched_checkout(api)
    status, body, _ = api.post(f"/api/v1/jobs/{job.id}/cancel")
    assert status == 202 and body["data"]["state"] == "cancel_requested"
    dispatch(job)
    relay.relay_once(grace_seconds=0)
    assert api.wait_job(job.id)["state"] == "cancelled"
    assert Order.select().count() == 0
    status, body, _ = api.post(f"/api/v1/jobs/{job.id}/cancel")
    assert status == 409 and body["error"]["code"] == "CONFLICT"


def test_event_stream_reports_changes_until_the_job_ends(api, client):
    job = undispatched_checkout(api)
    dispatch(job)
    response = client.get(f"/api/v1/jobs/{job.id}/events")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = [json.loads(line[len("data: "):]) for line in response.get_data(as_text=True).splitlines()
              if line.startswith("data: ")]
    assert events and events[-1]["state"] == "succeeded"
    assert all(e["id"] == job.id for e in events)


def test_the_relay_sends_jobs_whose_message_was_never_sent(api):
    job = undispatched_checkout(api)  # committed, but (as after a crash) never dispatched
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=30)).where(Job.id == job.id).execute()
    assert relay.relay_once()["sent"] == 1
    assert api.wait_job(job.id)["state"] == "succeeded"
    assert relay.relay_once()["sent"] == 0


def test_an_expired_lease_requeues_the_job_and_counts_the_attempt(api):
    job = undispatched_checkout(api)
    claimed = jobs.claim(job.id)  # a worker claimed it, then died without a heartbeat
    assert claimed.attempts == 1
    Job.update(updated_at=utcnow() - dt.timedelta(minutes=5)).where(Job.id == job.id).execute()
    result = relay.relay_once(grace_seconds=0)
    assert result == {"requeued": 1, "deadLettered": 0, "sent": 1, "resent": 0}
    finished = api.wait_job(job.id)
    assert finished["state"] == "succeeded" and finished["attempts"] == 2
    assert Order.select().count() == 1


def test_a_duplicate_message_for_a_finished_job_is_a_no_op(api):
    job = undispatched_checkout(api)
    dispatch(job)
    first = api.wait_job(job.id)
    dispatch(Job.get_by_id(job.id))
    relay.relay_once(grace_seconds=0)
    again = api.wait_job(job.id)
    assert again["attempts"] == first["attempts"] == 1
    assert again["updatedAt"] == first["updatedAt"]
    assert Order.select().count() == 1


def test_admins_list_failed_jobs_and_retry_them(api):
    admin, customer = make_user(role="admin"), make_user()
    product = make_product(stock=1)
    cart_id = fill_cart(api, product)
    with atomic():
        job = checkout.start_checkout(None, OrderCreateSchema().load(checkout_body(cart_id)))
    from services.catalog import inventory
    from tests.factories import first_variant

    inventory.set_stock(first_variant(product).id, 0)
    dispatch(job)
    assert api.wait_job(job.id)["state"] == "failed"
    assert api.get("/api/v1/admin/jobs/failed", token=token_for(customer))[0] == 403
    assert api.get("/api/v1/admin/jobs/failed")[0] == 401
    status, body, _ = api.get("/api/v1/admin/jobs/failed", token=token_for(admin))
    assert status == 200 and [j["id"] for j in body["data"]] == [job.id]
    inventory.set_stock(first_variant(product).id, 1)
    status, body, _ = api.post(f"/api/v1/admin/jobs/{job.id}/retry", token=token_for(admin))
    assert status == 202
    assert api.wait_job(job.id)["state"] == "succeeded"
    status, body, _ = api.post(f"/api/v1/admin/jobs/{job.id}/retry", token=token_for(admin))
    assert status == 409


def test_job_lists_show_only_the_callers_jobs(api):
    alice, bob, admin = make_user(), make_user(), make_user(role="admin")
    cart_id = fill_cart(api, make_product(stock=5), token=token_for(alice))
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token_for(alice))
    job_id = body["data"]["id"]
    assert [j["id"] for j in api.get("/api/v1/jobs", token=token_for(alice))[1]["data"]] == [job_id]
    assert api.get("/api/v1/jobs", token=token_for(bob))[1]["data"] == []
    assert api.get("/api/v1/jobs?type=checkout", token=token_for(admin))[1]["pagination"]["total"] == 1
    status, body, _ = api.get("/api/v1/jobs?state=bogus", token=token_for(admin))
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"


def test_a_checkout_job_cannot_be_cancelled_once_its_order_committed(api):
    job = undispatched_checkout(api)
    answers = []

    def checkout_then_cancel(job, ctx):
        result = orders.run_checkout_job(job, ctx)  # the order is committed here
        answers.append(api.post(f"/api/v1/jobs/{job.id}/cancel"))
        return result

    run_job(job.id, checkout_then_cancel)
    status, body, _ = answers[0]
    assert status == 409 and body["error"]["code"] == "CONFLICT", body
    assert body["error"]["reason"] == "job_not_cancellable"
    finished = api.wait_job(job.id)
    assert finished["state"] == "succeeded", finished
    assert Order.get(Order.job_id == job.id).id == finished["result"]["orderId"]


def test_a_cancel_requested_before_the_order_commits_rolls_the_order_back(api):
    product = make_product(stock=5)
    cart_id = fill_cart(api, product)
    with atomic():
        job = checkout.start_checkout(None, OrderCreateSchema().load(checkout_body(cart_id)))
    answers = []

    def cancel_then_checkout(job, ctx):  # the cancel arrives while the job runs, before the commit point
        answers.append(api.post(f"/api/v1/jobs/{job.id}/cancel")[0])
        return orders.run_checkout_job(job, ctx)

    run_job(job.id, cancel_then_checkout)
    assert answers == [202]
    assert Job.get_by_id(job.id).state == "cancelled"
    assert Order.select().count() == 0
    assert Cart.get_by_id(cart_id).status == "active"
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 5


def test_cancels_racing_checkouts_never_leave_a_cancelled_job_with_an_order(api):
    product = make_product(stock=50)
    bodies = [OrderCreateSchema().load(checkout_body(fill_cart(api, product))) for _ in range(8)]
    with atomic():
        created = [checkout.start_checkout(None, body) for body in bodies]
    answers = {}
    for n, job in enumerate(created):
        dispatch(job)
        time.sleep(0.01 * n)  # cancels land before, during and after the order transaction
        answers[job.id] = api.post(f"/api/v1/jobs/{job.id}/cancel")[0]
    assert set(answers.values()) <= {202, 409}
    for job in created:
        finished = api.wait_job(job.id)
        order = Order.get_or_none(Order.job_id == job.id)
        if finished["state"] == "cancelled":
            assert order is None, finished
        else:
            assert finished["state"] == "succeeded" and finished["result"]["orderId"] == order.id, finished
        if answers[job.id] == 409:
            assert finished["state"] == "succeeded"


def test_an_admin_probe_job_is_run_by_a_worker_and_reports_its_wait(api, admin_token):
    status, body, headers = api.post("/api/v1/jobs/probes", None, token=admin_token)
    assert status == 202, body
    job_id = body["data"]["id"]
    assert body["data"]["type"] == "probe" and headers["Location"] == f"/api/v1/jobs/{job_id}"
    finished = api.wait_job(job_id, token=admin_token)
    assert finished["state"] == "succeeded" and finished["result"]["waitedMs"] >= 0
    assert Job.get_by_id(job_id).queue == "maintenance"


def test_only_admins_write_probe_jobs(api):
    status, body, _ = api.post("/api/v1/jobs/probes", None)
    assert status == 401, body
    customer = token_for(make_user())
    status, body, _ = api.post("/api/v1/jobs/probes", None, token=customer)
    assert status == 403, body
    assert Job.select().where(Job.type == "probe").count() == 0
