"""Event fan-out through the worker: recipients, channels by preference, no duplicates."""

from __future__ import annotations

import datetime as dt
import time
import types

from models.carts import Cart, CartItem
from models.db import atomic, utcnow
from models.jobs import Job
from models.notifications import Notification, OutboxMessage
from models.users import User
from models.wishlists import WishlistItem
from services import notifications
from services.platform import events
from tests.factories import (TERMINAL, emit, fanout_job, first_variant, make_product, make_user, notifications_of,
                             place_order, quick_user, token_for, wait_tree, wait_until)
from workers import dispatch as dispatch_module
from workers.dispatch import dispatch
from workers.runner import run_job


def test_guest_checkout_notifies_the_guest_by_email_and_low_stock_goes_to_staff(api):
    staff, admin = make_user(role="staff"), make_user(role="admin")
    bystander = make_user()
    product = make_product(name="Rose Bouquet", price=4500, stock=11)  # threshold 10: buying 1 crosses it
    order_id = place_order(api, product)

    placed = wait_tree(fanout_job("order.placed", order_id).id)
    assert placed[0].state == "succeeded" and placed[0].result["byChannel"] == {"email": 1}
    [email] = notifications_of(placed[0])
    assert (email.channel, email.user_id, email.recipient, email.status) == \
        ("email", None, "ahmed@example.com", "logged")
    assert email.subject.startswith("Order SKN-") and "Rose Bouquet" in email.body and "45.00 USD" in email.body
    [outbox] = OutboxMessage.select().where(OutboxMessage.notification == email.id)
    assert outbox.recipient == "ahmed@example.com" and "<html" in outbox.html

    low = wait_tree(fanout_job("stock.low", first_variant(product).id).id)
    rows = notifications_of(low[0])
    assert {(n.user_id, n.channel) for n in rows} == {(staff.id, "email"), (staff.id, "in_app"),
                                                      (admin.id, "email"), (admin.id, "in_app")}
    assert {(n.channel, n.status) for n in rows} == {("email", "logged"), ("in_app", "sent")}
    assert bystander.id not in {n.user_id for n in rows}
    assert "Rose Bouquet" in rows[0].subject and "10" in rows[0].body


def test_customer_checkout_notifies_by_email_and_in_app_following_preferences(api):
    ana = make_user()
    omar = make_user()
    User.update(phone="+962791234567").where(User.id == omar.id).execute()
    ana_token, omar_token = token_for(ana), token_for(omar)
    status, body, _ = api.put("/api/v1/users/me/notification-preferences",
                              {"emailNotifications": False, "smsNotifications": True}, token=omar_token)
    assert status == 200, body
    product = make_product(stock=50)

    ana_order = place_order(api, product, token=ana_token)
    omar_order = place_order(api, product, token=omar_token)
    ana_rows = notifications_of(wait_tree(fanout_job("order.placed", ana_order).id)[0])
    omar_rows = notifications_of(wait_tree(fanout_job("order.placed", omar_order).id)[0])

    assert [(n.channel, n.status) for n in ana_rows] == [("email", "logged"), ("in_app", "sent")]  # sms is opt-in
    assert ana_rows[0].recipient == ana.email
    assert [(n.channel, n.status) for n in omar_rows] == [("in_app", "sent"), ("sms", "logged")]
    assert omar_rows[1].recipient == "+962791234567" and omar_rows[1].provider == "console"

    status, body, _ = api.get("/api/v1/notifications", token=ana_token)
    assert status == 200 and body["unreadCount"] == 1
    [inbox] = body["data"]
    assert inbox["type"] == "success" and inbox["data"]["orderId"] == ana_order and not inbox["isRead"]


def test_a_category_switched_off_gets_nothing(api):
    user = make_user()
    token = token_for(user)
    status, _, _ = api.put("/api/v1/users/me/notification-preferences", {"categories": {"orders": False}},
                           token=token)
    assert status == 200
    order_id = place_order(api, make_product(stock=50), token=token)
    [fanout] = wait_tree(fanout_job("order.placed", order_id).id)
    assert fanout.state == "succeeded" and fanout.result["notifications"] == 0
    assert notifications_of(fanout) == []


def test_re_running_a_fan_out_job_creates_no_duplicates(api):
    user = make_user()
    order_id = place_order(api, make_product(stock=50), token=token_for(user))
    tree = wait_tree(fanout_job("order.placed", order_id).id)
    fanout = tree[0]
    before = [n.id for n in notifications_of(fanout)]
    assert len(before) == 2 and len(tree) == 3
    # The job runs again (a lease expired after it committed, or the message came twice).
    Job.update(state="queued", dispatched_at=None).where(Job.id == fanout.id).execute()
    dispatch(Job.get_by_id(fanout.id))
    dispatch(Job.get_by_id(fanout.id))
    again = wait_tree(fanout.id)
    assert again[0].result["notifications"] == 0 and again[0].result["existing"] == 2
    assert [n.id for n in notifications_of(fanout)] == before
    assert len(again) == 3  # no new send jobs
    assert OutboxMessage.select().join(Notification).where(Notification.source_job_id == fanout.id).count() == 1


def test_a_send_job_delivered_twice_sends_once(app):
    admin = make_user(role="admin")
    with atomic():
        job = notifications.start_direct(admin, "email", None, "guest@example.com", "Hello", "Twice?")
    actor = dispatch_module.ACTORS["notification_send"]
    actor.send(job.id)
    actor.send(job.id)
    wait_until(lambda: Job.get_by_id(job.id).state in TERMINAL, what="send job")
    time.sleep(0.3)  # let the duplicate message be consumed too
    n = Notification.get(Notification.send_job_id == job.id)
    assert n.status == "logged" and n.attempts == 1
    assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1


def test_an_unknown_subject_is_skipped_not_failed(app):
    job = emit("order.shipped", "ord_doesnotexist")
    [done] = wait_tree(job.id)
    assert done.state == "succeeded" and done.result["skipped"] == "subject_not_found"


def test_cart_abandoned_reminds_the_customer_and_skips_guest_carts(app):
    user = make_user()
    product = make_product(name="Brie", stock=5)
    with atomic():
        cart = Cart.create(customer=user.id, currency="USD", expires_at=utcnow() + dt.timedelta(days=1))
        guest = Cart.create(customer=None, currency="USD", expires_at=utcnow() + dt.timedelta(days=1))
        for c in (cart, guest):
            CartItem.create(cart=c, product=product, variant=first_variant(product), quantity=2, unit_price=100)
    mine, theirs = emit("cart.abandoned", cart.id), emit("cart.abandoned", guest.id)
    rows = notifications_of(wait_tree(mine.id)[0])
    assert [(n.channel, n.status) for n in rows] == [("email", "logged"), ("in_app", "sent")]
    assert "Brie x 2" in rows[0].body
    assert wait_tree(theirs.id)[0].result["skipped"] == "guest_cart"


def wishlist(product, users) -> None:
    """Put `product` on each of `users`' wishlists (real rows)."""
    WishlistItem.insert_many([{"user": u.id, "product": product.id, "price_at_add": product.price}
                              for u in users]).execute()


def run_fanout_here(job: Job, monkeypatch) -> Job:
    """Run a fan-out job in this process (it needs this test's fake module); send jobs are not dispatched."""
    monkeypatch.setitem(dispatch_module.ACTORS, "notification_send", types.SimpleNamespace(
        send=lambda job_id: None, send_with_options=lambda args, delay=None: None))
    run_job(job.id, notifications.fan_out_event)
    return Job.get_by_id(job.id)


def test_wishlist_price_drop_goes_to_the_users_who_wishlisted_the_product(app, monkeypatch):
    fan, other, gone = make_user(), make_user(), quick_user(is_active=False)
    product = make_product(name="Comté 24 months", price=3200, stock=5)
    wishlist(product, [fan, gone])
    with atomic():
        job = events.emit("wishlist.price_drop", first_variant(product).id, {"oldPrice": 4000, "newPrice": 3200})
    done = run_fanout_here(job, monkeypatch)
    assert done.state == "succeeded", done.error
    rows = notifications_of(done)
    assert {(n.user_id, n.channel) for n in rows} == {(fan.id, "email"), (fan.id, "in_app")}
    assert other.id not in {n.user_id for n in rows}
    assert done.progress_completed == done.progress_total == 1
    rendered = notifications.render(rows[0].template, rows[0].context)
    assert "32.00 USD" in rendered.text and "was 40.00 USD" in rendered.text


def test_fan_out_reports_progress_in_batches(app, monkeypatch):
    monkeypatch.setattr(notifications.fanout, "FANOUT_BATCH", 3)
    users = [quick_user() for _ in range(7)]
    product = make_product(stock=5)
    wishlist(product, users)
    with atomic():
        job = events.emit("wishlist.back_in_stock", product.id, {})
    done = run_fanout_here(job, monkeypatch)
    assert (done.progress_completed, done.progress_total) == (7, 7)
    assert done.result["notifications"] == 14 and done.result["byChannel"] == {"email": 7, "in_app": 7}
    # One send job per fan-out batch and channel: 3 batches (3, 3, 1 users) x 2 channels.
    senders = list(Job.select().where(Job.parent_id == job.id, Job.type == "notification_send"))
    assert len(senders) == 6
    for sender in senders:
        ids = sender.payload["notificationIds"]
        assert len({n.channel for n in Notification.select().where(Notification.id.in_(ids))}) == 1
        assert {n.send_job_id for n in Notification.select().where(Notification.id.in_(ids))} == {sender.id}


def email_send_batch(users: int, monkeypatch) -> Job:
    """A back-in-stock fan-out to `users` wishlisting users, run here; returns its email send job."""
    product = make_product(stock=5)
    wishlist(product, [quick_user() for _ in range(users)])
    with atomic():
        job = events.emit("wishlist.back_in_stock", product.id, {})
    run_fanout_here(job, monkeypatch)
    [email_job] = [j for j in Job.select().where(Job.parent_id == job.id, Job.type == "notification_send")
                   if Notification.get_by_id(j.payload["notificationIds"][0]).channel == "email"]
    return email_job


def test_a_batched_send_job_that_crashes_midway_sends_each_message_once_after_the_retry(app, settings,
                                                                                     monkeypatch):
    """The worker dies during the third send of a five-message email batch: two were recorded,
    the third reached the outbox but not its row's status, two were never tried. After the
    lease expires the retry finishes the batch: every message exactly once."""
    from services.notifications import sending
    from services.notifications.providers import console
    from services.platform import jobs, recovery

    email_job = email_send_batch(5, monkeypatch)
    ids = email_job.payload["notificationIds"]
    assert len(ids) == 5

    # The first attempt, up to the crash: claimed, two sent, the third's provider call made.
    claimed = jobs.claim(email_job.id)
    for notification_id in ids[:2]:
        assert sending._send_one(notification_id, claimed)["status"] == "logged"
    real_send = console.ConsoleProvider.send

    class WorkerKilled(BaseException):
        pass

    def send_then_die(self, message):
        real_send(self, message)
        raise WorkerKilled()

    monkeypatch.setattr(console.ConsoleProvider, "send", send_then_die)
    monkeypatch.setattr(sending, "_settle", lambda *a, **k: (_ for _ in ()).throw(WorkerKilled()))
    try:
        sending._send_one(ids[2], claimed)
    except WorkerKilled:
        pass  # the process is gone: nothing after the provider call ran
    monkeypatch.setattr(console.ConsoleProvider, "send", real_send)
    monkeypatch.undo()  # the retry runs on the real code
    assert Notification.get_by_id(ids[2]).send_started_at is not None  # in flight when it died

    # The lease expires, the relay re-queues the job, a worker runs it again.
    stale = utcnow() - dt.timedelta(seconds=settings.job_lease_seconds + 1)
    Job.update(updated_at=stale).where(Job.id == email_job.id).execute()
    Notification.update(send_started_at=stale).where(Notification.id == ids[2]).execute()
    assert recovery.reclaim_expired_leases() == [email_job.id]
    run_job(email_job.id, notifications.send_notification_job)

    finished = Job.get_by_id(email_job.id)
    assert finished.state == "succeeded" and finished.attempts == 2, finished.error
    assert finished.result["byStatus"] == {"logged": 5}
    for notification_id in ids:
        n = Notification.get_by_id(notification_id)
        assert n.status == "logged" and n.send_started_at is None
        assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1, n.id


def test_a_transient_failure_of_one_message_retries_only_that_one(app, monkeypatch):
    from services.errors import TransientError
    from services.notifications.providers import console

    email_job = email_send_batch(3, monkeypatch)
    ids = email_job.payload["notificationIds"]
    real_send = console.ConsoleProvider.send
    calls = []

    def second_fails_once(self, message):
        calls.append(message.notification_id)
        if message.notification_id == ids[1] and calls.count(ids[1]) == 1:
            raise TransientError("provider 503")
        return real_send(self, message)

    monkeypatch.setattr(console.ConsoleProvider, "send", second_fails_once)
    run_job(email_job.id, notifications.send_notification_job)
    assert Job.get_by_id(email_job.id).state == "queued"  # retried for the one that failed
    assert [Notification.get_by_id(i).status for i in ids] == ["logged", "pending", "logged"]
    run_job(email_job.id, notifications.send_notification_job)
    assert Job.get_by_id(email_job.id).state == "succeeded"
    assert calls == [ids[0], ids[1], ids[2], ids[1]]  # the retry sent only the one left
    assert all(OutboxMessage.select().where(OutboxMessage.notification == i).count() == 1 for i in ids)
