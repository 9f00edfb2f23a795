"""Each maintenance task through the real worker (in-process on SQLite + stub broker; the
`dramatiq` process on PostgreSQL + Redis), run twice (and concurrently) to show it is
idempotent."""

from __future__ import annotations

import datetime as dt
import time

from models.carts import Cart
from models.db import atomic, utcnow
from models.jobs import IdempotencyKey, Job
from models.loyalty import LoyaltyAccount
from services.orders import carts
from services.platform import jobs
from tests.factories import first_variant, make_product, make_user
from workers.dispatch import dispatch


def start_task(task: str) -> Job:
    with atomic():
        job = jobs.create_job("maintenance", {"task": task})
    dispatch(job)
    return job


def run_task(api, task: str) -> dict:
    """Run maintenance `task` through the worker; returns the finished job."""
    job = api.wait_job(start_task(task).id)
    assert job["type"] == "maintenance"
    return job


def make_cart(user=None, items=1, idle_hours=0.0, expires_in_hours=24 * 30, status="active"):
    """A cart with `items` lines, last touched `idle_hours` ago, expiring in `expires_in_hours`."""
    cart = carts.create_cart(user)
    product = make_product(stock=10)
    for _ in range(items):
        carts.add_to_cart(cart, product.id, first_variant(product).id, 1)
    now = utcnow()
    Cart.update(updated_at=now - dt.timedelta(hours=idle_hours), status=status,
                expires_at=now + dt.timedelta(hours=expires_in_hours)).where(Cart.id == cart.id).execute()
    return Cart.get_by_id(cart.id)


def events_of(event_type: str) -> list[Job]:
    return [j for j in Job.select().where(Job.type == "event_fanout") if j.payload.get("event") == event_type]


def status_of(cart: Cart) -> str:
    return Cart.get_by_id(cart.id).status


def test_expire_carts_expires_active_carts_past_expiry_and_never_converted_ones(api):
    due_guest = make_cart(expires_in_hours=-1)
    due_customer = make_cart(make_user(), expires_in_hours=-0.1)
    fresh = make_cart(expires_in_hours=1)
    converted = make_cart(expires_in_hours=-5, status="converted")
    job = run_task(api, "expire_carts")
    assert job["state"] == "succeeded", job
    assert job["result"] == {"task": "expire_carts", "expired": 2}
    assert job["progress"]["percentage"] == 100
    assert [status_of(c) for c in (due_guest, due_customer, fresh, converted)] == \
        ["expired", "expired", "active", "converted"]
    again = run_task(api, "expire_carts")
    assert again["result"]["expired"] == 0
    assert status_of(converted) == "converted"


def test_abandoned_cart_reminders_emit_one_event_per_cart_however_often_they_run(api):
    abandoned = make_cart(make_user(), items=2, idle_hours=30)
    make_cart(make_user(), idle_hours=1)  # still being used
    make_cart(None, idle_hours=48)  # a guest cart: nobody to remind
    make_cart(make_user(), items=0, idle_hours=48)  # empty
    make_cart(make_user(), idle_hours=48, status="converted")
    make_cart(make_user(), idle_hours=48, expires_in_hours=-1)  # expired (not yet marked)
    job = run_task(api, "abandoned_cart_reminders")
    assert job["state"] == "succeeded", job
    assert job["result"] == {"task": "abandoned_cart_reminders", "candidates": 1, "reminded": 1,
                             "alreadyReminded": 0}
    [event] = events_of("cart.abandoned")
    assert event.payload["subjectId"] == abandoned.id and event.parent_id == job["id"]
    assert event.payload["data"]["customerId"] == abandoned.customer_id and event.payload["data"]["itemCount"] == 2
    again = run_task(api, "abandoned_cart_reminders")
    assert again["result"]["reminded"] == 0 and again["result"]["alreadyReminded"] == 1
    # Several runs at once (two schedulers, a duplicate job): still one event per cart.
    second = make_cart(make_user(), idle_hours=25)
    started = [start_task("abandoned_cart_reminders") for _ in range(3)]
    finished = [api.wait_job(j.id) for j in started]
    assert all(j["state"] == "succeeded" for j in finished), finished
    assert sum(j["result"]["reminded"] for j in finished) == 1
    assert sorted(e.payload["subjectId"] for e in events_of("cart.abandoned")) == sorted([abandoned.id, second.id])


def test_unused_loyalty_points_reminders_are_sent_at_most_once_per_period(api):
    account_model = LoyaltyAccount
    idle, active = make_user(), make_user()
    long_ago = utcnow() - dt.timedelta(days=90)
    account_model.create(user=idle, points_balance=120, lifetime_earned=120, last_activity_at=long_ago)
    account_model.create(user=active, points_balance=50, lifetime_earned=50, last_activity_at=utcnow())
    job = run_task(api, "loyalty_points_reminders")
    assert job["state"] == "succeeded", job
    assert (job["result"]["candidates"], job["result"]["reminded"]) == (1, 1)
    [event] = events_of("loyalty.points_reminder")
    assert event.payload["subjectId"] == idle.id
    # The fan-out stamps `reminded_at`; pretend it did not, so only our marker stops a repeat.
    deadline = time.monotonic() + 10
    while Job.get_by_id(event.id).state in ("queued", "running") and Job.get_by_id(event.id).dispatched_at \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    account_model.update(reminded_at=None).where(account_model.user == idle.id).execute()
    again = run_task(api, "loyalty_points_reminders")
    assert again["result"]["candidates"] == 1
    assert (again["result"]["reminded"], again["result"]["alreadyReminded"]) == (0, 1)
    assert len(events_of("loyalty.points_reminder")) == 1


def test_nightly_recommendations_training_creates_one_training_job_per_day(api):
    job = run_task(api, "recommendations_nightly")
    assert job["state"] == "succeeded", job
    assert job["result"]["created"] is True
    train = Job.get_by_id(job["result"]["jobId"])
    assert train.type == "recommendations_train" and train.parent_id == job["id"]
    assert train.payload["options"] == {}  # the service's defaults
    again = run_task(api, "recommendations_nightly")
    assert again["result"]["created"] is False
    assert again["result"]["reason"] in ("training_in_progress", "already_trained_today")
    Job.update(state="cancelled", finished_at=utcnow()).where(Job.id == train.id,
                                                            Job.state.in_(("queued", "running"))).execute()
    third = run_task(api, "recommendations_nightly")
    assert third["result"] == {"task": "recommendations_nightly", "created": False,
                               "reason": "already_trained_today"}
    assert Job.select().where(Job.type == "recommendations_train").count() == 1


def old_job(state: str, days: float, finished: bool = True) -> Job:
    when = utcnow() - dt.timedelta(days=days)
    return Job.create(type="checkout", queue="checkout", state=state, payload={}, created_at=when, updated_at=when,
                      finished_at=when if finished else None, dispatched_at=when)


def test_purge_deletes_expired_keys_and_old_finished_jobs_but_keeps_failed_and_replayable_ones(api):
    old_succeeded, old_cancelled = old_job("succeeded", 40), old_job("cancelled", 31)
    recent, old_failed = old_job("succeeded", 1), old_job("failed", 400)
    stuck = old_job("queued", 40, finished=False)
    replayable = old_job("succeeded", 40)
    IdempotencyKey.create(scope="usr_x", key="still-valid", request_hash="h", job_id=replayable.id,
                          expires_at=utcnow() + dt.timedelta(hours=1))
    IdempotencyKey.create(scope="usr_x", key="expired", request_hash="h", job_id=recent.id,
                          expires_at=utcnow() - dt.timedelta(hours=1))
    job = run_task(api, "purge_expired_records")
    assert job["state"] == "succeeded", job
    assert job["result"]["jobs"] == 2 and job["result"]["idempotencyKeys"] == 1
    assert job["result"]["retentionDays"] == 30
    remaining = {j.id for j in Job.select(Job.id)}
    assert old_succeeded.id not in remaining and old_cancelled.id not in remaining
    assert {recent.id, old_failed.id, stuck.id, replayable.id, job["id"]} <= remaining
    assert [k.key for k in IdempotencyKey.select().where(IdempotencyKey.scope == "usr_x")] == ["still-valid"]
    again = run_task(api, "purge_expired_records")
    assert (again["result"]["jobs"], again["result"]["idempotencyKeys"]) == (0, 0)


def test_an_unknown_task_fails_without_retry(api):
    job = run_task(api, "reticulate_splines")
    assert job["state"] == "failed" and job["attempts"] == 1
    assert job["error"]["reason"] == "unknown_maintenance_task"
