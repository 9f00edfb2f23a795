"""Loyalty points: earned once per paid order through the order.paid fan-out, the balance
endpoint, and the accounts due an unused-points reminder."""

from __future__ import annotations

import datetime as dt

from models.db import atomic, utcnow
from models.jobs import Job
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.notifications import Notification
from models.orders import Order
from services import loyalty, orders
from tests.factories import (dispatching, emit, fanout_job, make_product, make_user, notifications_of, place_order,
                             quick_user, token_for, wait_tree)
from workers.dispatch import dispatch


def pay(order_id: str) -> None:
    assert dispatching(lambda: orders.mark_paid(order_id))


def test_a_paid_order_earns_one_point_per_whole_currency_unit_once(api):
    user = make_user()
    token = token_for(user)
    product = make_product(price=2950, stock=10)
    order_id = place_order(api, product, token=token, quantity=2)  # subtotal 59.00 USD
    pay(order_id)
    paid = wait_tree(fanout_job("order.paid", order_id).id)
    assert paid[0].state == "succeeded"

    status, body, _ = api.get("/api/v1/loyalty", token=token)
    assert status == 200
    data = body["data"]
    assert data["balance"] == 59 and data["lifetimeEarned"] == 59
    [line] = data["transactions"]
    assert (line["type"], line["points"], line["balanceAfter"], line["orderId"]) == ("earn", 59, 59, order_id)
    email = next(n for n in notifications_of(paid[0]) if n.channel == "email")
    assert "earned you 59 loyalty points" in email.body

    # The fan-out runs again, and earning is called again directly: still one ledger line.
    Job.update(state="queued", dispatched_at=None).where(Job.id == paid[0].id).execute()
    dispatch(Job.get_by_id(paid[0].id))
    wait_tree(paid[0].id)
    assert loyalty.earn_for_order(order_id).id == line["id"]
    assert LoyaltyTransaction.select().count() == 1
    assert LoyaltyAccount.get(LoyaltyAccount.user == user.id).points_balance == 59
    status, body, _ = api.get("/api/v1/loyalty/history?limit=5", token=token)
    assert body["pagination"]["total"] == 1


def test_guest_orders_and_unpaid_orders_earn_nothing(api):
    order_id = place_order(api, make_product(price=5000, stock=5))
    assert loyalty.earn_for_order(order_id) is None  # unpaid
    pay(order_id)
    wait_tree(fanout_job("order.paid", order_id).id)
    assert LoyaltyTransaction.select().count() == 0  # guest


def test_points_use_the_currency_exponent_and_the_discounted_subtotal(app):
    assert loyalty.points_for_amount(5999, "USD") == 59
    assert loyalty.points_for_amount(12345, "JOD") == 12
    assert loyalty.points_for_amount(1500, "JPY") == 1500
    assert loyalty.points_for_amount(-100, "USD") == 0
    user = make_user()
    with atomic():
        order = Order.create(order_number="SKN-2025-999999", customer=user.id, customer_email=user.email,
                             payment_status="paid", payment_method="cash_on_delivery", subtotal=10_000, discount=2_050,
                             total=7_950, currency="USD", shipping_address={}, billing_address={}, shipping_method={})
    assert loyalty.earn_for_order(order.id).points == 79


def test_new_customers_have_an_empty_balance(api):
    status, body, _ = api.get("/api/v1/loyalty", token=token_for(make_user()))
    assert status == 200 and body["data"]["balance"] == 0 and body["data"]["transactions"] == []


def _account(user, balance, idle_days, reminded_days=None):
    now = utcnow()
    return LoyaltyAccount.create(user=user.id, points_balance=balance, lifetime_earned=balance,
                                 last_activity_at=now - dt.timedelta(days=idle_days),
                                 reminded_at=None if reminded_days is None else now - dt.timedelta(days=reminded_days))


def test_accounts_with_unused_points_are_idle_positive_and_not_recently_reminded(app):
    due, recent, empty, reminded, old_reminder = (quick_user() for _ in range(5))
    inactive = quick_user(is_active=False)
    _account(due, 120, idle_days=45)
    _account(recent, 80, idle_days=3)
    _account(empty, 0, idle_days=90)
    _account(reminded, 50, idle_days=60, reminded_days=2)
    _account(old_reminder, 50, idle_days=100, reminded_days=40)
    _account(inactive, 50, idle_days=100)
    assert loyalty.accounts_with_unused_points(30) == [old_reminder.id, due.id]  # longest idle first
    assert loyalty.accounts_with_unused_points(30, limit=1) == [old_reminder.id]


def test_points_reminder_event_notifies_and_stamps_the_reminder(app):
    user = quick_user()
    _account(user, 240, idle_days=45)
    job = emit("loyalty.points_reminder", user.id)
    tree = wait_tree(job.id)
    rows = notifications_of(tree[0])
    assert [(n.channel, n.status) for n in rows] == [("email", "logged"), ("in_app", "sent")]
    assert "240 unused loyalty points" in rows[0].body
    assert Notification.get_by_id(rows[1].id).subject == "You have 240 loyalty points waiting"
    assert loyalty.accounts_with_unused_points(30) == []  # reminded just now
