"""`new_notification`: an in-app notification is announced to its user once it is in the inbox,
once, and no other channel's notification is (services.notifications.inbox.announce_in_app)."""

from __future__ import annotations

import time

from models.jobs import Job
from models.notifications import Notification
from services.platform import live, user_events
from tests.factories import TERMINAL, fanout_job, make_product, notifications_of, place_order, quick_user, token_for
from tests.factories import wait_tree, wait_until
from workers import dispatch as dispatch_module


def messages(subscription, seconds=1.0):
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = subscription.get(max(0.0, deadline - time.monotonic()))
        if message is not None:
            found.append(message.data)
    return found


def test_an_in_app_notification_is_announced_once_to_its_user_and_an_email_never(api):
    ana = quick_user()
    with live.subscribe([user_events.user_channel(ana.id)]) as sub:
        order_id = place_order(api, make_product(stock=5), token=token_for(ana))
        rows = notifications_of(wait_tree(fanout_job("order.placed", order_id).id)[0])
        assert [(n.channel, n.status) for n in rows] == [("email", "logged"), ("in_app", "sent")]
        in_app = rows[1]
        # The in-app row's send job delivered again: already sent, so no second announcement.
        send_job = Job.get_by_id(Notification.get_by_id(in_app.id).send_job_id)
        dispatch_module.ACTORS["notification_send"].send(send_job.id)
        wait_until(lambda: Job.get_by_id(send_job.id).state in TERMINAL, what="send job")
        received = [m for m in messages(sub, 1.5) if m["event"] == "new_notification"]
    assert [m["data"]["id"] for m in received] == [in_app.id]
    data = received[0]["data"]
    assert (data["isRead"], data["data"]["orderId"], data["type"]) == (False, order_id, in_app.level)
    assert data["title"] == in_app.subject and data["message"] == in_app.body
