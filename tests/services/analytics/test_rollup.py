"""The `analytics_rollup` job: what one day's rows hold (two days, two currencies, cancelled orders
left out, refunds counted on the day they were made, carts and customers), re-running gives the
same rows, and the periodic task starts it for yesterday and today."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from models.analytics import (AnalyticsCategoryDay, AnalyticsCustomerDay, AnalyticsDay, AnalyticsProductDay,
                              AnalyticsRollupDay)
from models.db import atomic, utcnow
from models.jobs import Job
from models.orders import Order
from services import analytics, maintenance
from services.errors import ValidationFailed
from services.platform import jobs
from tests.factories import TERMINAL
from tests.services.analytics.history import D1, D2, build_history
from workers.runner import run_job


@pytest.fixture()
def shop(db):
    return build_history()


def day_row(day, currency) -> AnalyticsDay:
    return AnalyticsDay.get(AnalyticsDay.day == day, AnalyticsDay.currency == currency)


def snapshot() -> dict:
    """Every rollup row, without ids and computation times."""
    tables = {}
    for model in (AnalyticsDay, AnalyticsProductDay, AnalyticsCategoryDay, AnalyticsCustomerDay, AnalyticsRollupDay):
        rows = [{k: v for k, v in row.__data__.items() if k not in ("id", "computed_at", "job_id")}
                for row in model.select()]
        tables[model.__name__] = sorted(rows, key=repr)
    return tables


def test_a_day_sums_its_non_cancelled_orders_per_currency(shop):
    analytics.roll_up_day(D1)
    usd = day_row(D1, "USD")
    assert (usd.orders_placed, usd.orders, usd.cancelled_orders, usd.delivered_orders) == (3, 2, 1, 1)
    assert usd.status_counts == {"cancelled": 1, "confirmed": 1, "delivered": 1}
    assert (usd.revenue, usd.gross_sales, usd.discounts, usd.shipping, usd.tax) == (5360, 5000, 300, 500, 160)
    assert usd.units == 3  # the cancelled order's unit is not sold
    assert (usd.refunds, usd.refund_count) == (0, 0)  # bob's refund was made on D2
    eur = day_row(D1, "EUR")
    assert (eur.orders, eur.revenue, eur.units, eur.delivered_orders) == (1, 2700, 3, 1)
    assert (eur.refunds, eur.refund_count) == (700, 1)


def test_refunds_count_on_the_day_they_were_made_and_only_when_succeeded(shop):
    analytics.roll_up_day(D2)
    usd = day_row(D2, "USD")
    assert (usd.orders, usd.revenue, usd.units) == (4, 9500, 6)
    assert (usd.refunds, usd.refund_count) == (500, 1)  # the failed 999 is left out
    assert not AnalyticsDay.select().where(AnalyticsDay.day == D2, AnalyticsDay.currency == "EUR").exists()


def test_the_day_boundaries_are_utc_midnight(shop):
    analytics.roll_up_day(D1)
    analytics.roll_up_day(D2)
    products = {(r.day, r.product_id): r.units for r in AnalyticsProductDay.select().where(
        AnalyticsProductDay.currency == "USD")}
    b = shop["products"]["b"].id
    assert products[(D1, b)] == 1  # bob at 23:59:59.999 on D1
    assert products[(D2, b)] == 2  # alice at 00:00:00 on D2, and bob again


def test_products_and_categories_get_line_revenue_units_and_orders(shop):
    analytics.roll_up_day(D2)
    p = shop["products"]
    rows = {r.product_id: (r.product_name, r.units, r.revenue, r.orders) for r in AnalyticsProductDay.select()
            .where(AnalyticsProductDay.day == D2, AnalyticsProductDay.currency == "USD")}
    assert rows == {p["a"].id: ("Red Roses", 3, 3000, 1), p["b"].id: ("Spring Bouquet", 2, 6000, 2),
                    p["c"].id: ("Greeting Card", 1, 500, 1)}
    categories = {r.category_id: (r.category_name, r.units, r.revenue, r.orders) for r in AnalyticsCategoryDay
                  .select().where(AnalyticsCategoryDay.day == D2, AnalyticsCategoryDay.currency == "USD")}
    c = shop["categories"]
    assert categories == {c["roses"].id: ("Roses", 3, 3000, 1), c["bouquets"].id: ("Bouquets", 2, 6000, 2),
                          "": ("", 1, 500, 1)}


def test_customers_are_new_on_their_first_order_ever_and_returning_after(shop):
    analytics.roll_up_day(D1)
    analytics.roll_up_day(D2)
    u = shop["users"]
    rows = {(r.day, r.customer_key): r.first_order_day for r in AnalyticsCustomerDay.select()
            .where(AnalyticsCustomerDay.currency == "USD")}
    assert rows == {(D1, u["alice"].id): D1, (D1, "guest:bob@example.com"): D1,
                    (D2, u["alice"].id): D1, (D2, "guest:bob@example.com"): D1,  # the same guest, any case
                    (D2, u["dave"].id): D2, (D2, u["eve"].id): dt.date(2026, 10, 10)}


def test_carts_created_that_day_with_items_and_not_converted_are_abandoned(shop):
    analytics.roll_up_day(D1)
    usd = day_row(D1, "USD")
    assert (usd.carts_created, usd.carts_with_items, usd.carts_converted, usd.carts_abandoned) == (4, 3, 1, 2)


def test_new_accounts_are_customers_registered_that_day(shop):
    analytics.roll_up_day(D1)
    analytics.roll_up_day(D2)
    assert {r.day: r.new_accounts for r in AnalyticsRollupDay.select()} == {D1: 2, D2: 1}  # not the staff member


def test_rolling_up_again_gives_the_same_rows_and_follows_changes(shop):
    for day in (D1, D2, D1, D2):
        analytics.roll_up_day(day)
    first = snapshot()
    analytics.roll_up_day(D1)
    assert snapshot() == first
    assert AnalyticsDay.select().count() == 3  # D1 USD, D1 EUR, D2 USD
    Order.update(status="cancelled").where(Order.id == shop["orders"]["bob_d1"].id).execute()
    analytics.roll_up_day(D1)
    usd = day_row(D1, "USD")
    assert (usd.orders, usd.revenue, usd.cancelled_orders) == (1, 2660, 2)
    assert AnalyticsDay.select().where(AnalyticsDay.day == D1).count() == 2


def test_concurrent_rollups_of_one_day_leave_one_set_of_rows(shop):
    errors = []

    def roll():
        try:
            analytics.roll_up_day(D2)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=roll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AnalyticsDay.select().where(AnalyticsDay.day == D2).count() == 1
    assert AnalyticsCustomerDay.select().where(AnalyticsCustomerDay.day == D2).count() == 4


def run_rollup(first, last) -> Job:
    with atomic():
        job = analytics.start_rollup(first, last)
    run_job(job.id, analytics.run_rollup_job)
    return Job.get_by_id(job.id)


def test_the_job_rolls_up_each_day_of_its_range_with_progress(shop):
    job = run_rollup(D1, D2)
    assert job.state == "succeeded", job.error
    assert job.result["from"] == "2026-11-29" and job.result["to"] == "2026-11-30"
    assert job.result["days"] == 2 and job.result["orders"] == 8
    assert (job.progress_completed, job.progress_total) == (2, 2)
    assert {r.day: r.job_id for r in AnalyticsRollupDay.select()} == {D1: job.id, D2: job.id}
    assert job.queue == "bulk"


def test_the_rollup_range_is_checked_before_any_job_is_written(db):
    today = dt.datetime.now(dt.timezone.utc).date()
    with pytest.raises(ValidationFailed) as reversed_range:
        analytics.rollup_range(D2, D1)
    assert reversed_range.value.reason == "analytics_range_reversed"
    with pytest.raises(ValidationFailed) as too_long:
        analytics.rollup_range(today - dt.timedelta(days=366), today)
    assert too_long.value.reason == "analytics_range_too_long"
    with pytest.raises(ValidationFailed) as future:
        analytics.rollup_range(today, today + dt.timedelta(days=1))
    assert future.value.reason == "analytics_future_day"
    assert analytics.rollup_range(None, None) == (today - dt.timedelta(days=1), today)
    assert Job.select().count() == 0


def test_a_malformed_job_payload_fails_the_job_without_retry(db):
    with atomic():
        job = jobs.create_job("analytics_rollup", {"from": "yesterday"})
    run_job(job.id, analytics.run_rollup_job)
    job = Job.get_by_id(job.id)
    assert job.state == "failed" and job.error["reason"] == "invalid_analytics_query" and job.attempts == 1


def finish(job_id: str, timeout: float = 20.0) -> None:
    """Run the job here unless a worker (the `dramatiq` process on PostgreSQL + Redis, which got its
    message) already did; wait until it ended either way."""
    run_job(job_id, analytics.run_rollup_job)
    deadline = time.monotonic() + timeout
    while Job.get_by_id(job_id).state not in TERMINAL and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_periodic_task_starts_one_rollup_of_yesterday_and_today(db):
    with atomic():
        task = jobs.create_job("maintenance", {"task": "analytics_rollup"})
    run_job(task.id, maintenance.run_maintenance)
    task = Job.get_by_id(task.id)
    assert task.state == "succeeded", task.error
    assert task.result["task"] == "analytics_rollup" and task.result["created"] is True
    child = Job.get_by_id(task.result["jobId"])
    today = utcnow().date()
    assert child.type == "analytics_rollup" and child.parent_id == task.id
    assert child.payload == {"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()}
    finish(child.id)
    assert Job.get_by_id(child.id).state == "succeeded"
    # a retried maintenance job does not start a second one
    assert analytics.schedule_analytics_rollup(task, None, utcnow()) == {"created": False,
                                                                        "skipped": "already_started"}
    assert Job.select().where(Job.type == "analytics_rollup").count() == 1
    # while a rollup is unfinished, the next period's task starts none
    with atomic():
        jobs.create_job("analytics_rollup", {"from": today.isoformat(), "to": today.isoformat()})
        later = jobs.create_job("maintenance", {"task": "analytics_rollup"})
    assert analytics.schedule_analytics_rollup(later, None, utcnow()) == {"created": False,
                                                                         "skipped": "rollup_in_progress"}
