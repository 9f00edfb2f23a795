"""Staff send the order's customer an update (seed 001 `POST /orders/{id}/notifications`) through
the notification system: the event's fan-out job writes the customer's notifications."""

from __future__ import annotations

from tests.factories import assert_error, make_product, place_order, quick_user, token_for, wait_until


def test_staff_message_reaches_the_customer_through_the_fanout(api, db):
    customer = quick_user()
    order_id = place_order(api, make_product(stock=3), token=token_for(customer))
    staff = token_for(quick_user(role="staff"))
    status, body, headers = api.post(f"/api/v1/orders/{order_id}/notifications",
                                     {"message": "Your bouquet leaves at 3 pm.", "subject": "Delivery today"},
                                     token=staff)
    assert status == 202 and headers["Location"].endswith(body["data"]["id"]), body
    job = api.wait_job(body["data"]["id"], token=staff)
    assert job["state"] == "succeeded", job
    from models.notifications import Notification

    sent = list(Notification.select().where(Notification.event == "order.message"))
    assert sent and {n.user_id for n in sent} == {customer.id}
    email = wait_until(lambda: Notification.get_or_none(Notification.event == "order.message",
                                                        Notification.channel == "email", Notification.subject != ""),
                       15, "the rendered email")  # rendered by its send job (the worker process on PostgreSQL)
    assert email.recipient == customer.email and email.subject == "Delivery today"
    assert "Your bouquet leaves at 3 pm." in email.body


def test_only_staff_send_order_messages_and_bad_input_is_422(api, db):
    customer = quick_user()
    order_id = place_order(api, make_product(stock=3), token=token_for(customer))
    path = f"/api/v1/orders/{order_id}/notifications"
    assert api.post(path, {"message": "hi"})[0] == 401
    assert_error(*api.post(path, {"message": "hi"}, token=token_for(customer))[:2], 403, reason="insufficient_role")
    staff = token_for(quick_user(role="staff"))
    status, body, _ = api.post(path, {"message": ""}, token=staff)
    assert status == 422 and body["error"]["details"][0]["field"] == "message", body
    assert_error(*api.post("/api/v1/orders/ord_nope/notifications", {"message": "hi"}, token=staff)[:2], 404,
                 reason="order_not_found")
