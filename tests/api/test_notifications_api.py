"""Notification endpoints: in-app inbox (seed 002), preferences, admin email/SMS/bulk,
templates and history (seed 001); bad inputs and other users' ids."""

from __future__ import annotations

from models.db import atomic, utcnow
from models.jobs import Job
from models.notifications import Notification, OutboxMessage
from models.users import User
from services import notifications
from tests.factories import make_user, quick_user, token_for, wait_tree


def in_app(user, title="Order shipped", read=False, status="sent", event="order.shipped"):
    """A delivered in-app notification for `user` (what a send job leaves behind)."""
    return Notification.create(user=user.id, channel="in_app", recipient=user.id, event=event, category="orders",
                               level="info", template="order_shipped", subject=title, body=f"{title}!",
                               status=status, dedupe_key=f"test:{user.id}:{title}:{status}",
                               sent_at=utcnow() if status == "sent" else None, read_at=utcnow() if read else None)


def test_in_app_list_mark_read_and_read_all(api):
    user, other = make_user(), make_user()
    token = token_for(user)
    first, second = in_app(user, "First"), in_app(user, "Second")
    in_app(user, "Pending", status="pending")  # not delivered yet: not listed
    in_app(other, "Theirs")

    status, body, _ = api.get("/api/v1/notifications", token=token)
    assert status == 200
    assert [n["title"] for n in body["data"]] == ["Second", "First"]
    assert body["unreadCount"] == 2 and body["pagination"]["total"] == 2

    status, body, _ = api.put(f"/api/v1/notifications/{first.id}/read", token=token)
    assert status == 200 and body["data"]["isRead"] is True and body["data"]["readAt"]
    read_at = body["data"]["readAt"]
    status, body, _ = api.put(f"/api/v1/notifications/{first.id}/read", token=token)
    assert body["data"]["readAt"] == read_at  # idempotent

    status, body, _ = api.get("/api/v1/notifications?unread=true", token=token)
    assert [n["id"] for n in body["data"]] == [second.id] and body["unreadCount"] == 1

    status, body, _ = api.put("/api/v1/notifications/read-all", token=token)
    assert status == 200 and body["data"] == {"updated": 1}
    status, body, _ = api.get("/api/v1/notifications", token=token)
    assert body["unreadCount"] == 0
    assert Notification.get(Notification.user == other.id).read_at is None  # the other user's stays unread


def test_another_users_notification_is_not_found(api):
    owner, intruder = make_user(), make_user()
    theirs = in_app(owner)
    email = Notification.create(user=intruder.id, channel="email", recipient=intruder.email, event="order.placed",
                                category="orders", template="order_placed", status="sent", dedupe_key="e:1")
    token = token_for(intruder)
    for path in (f"/api/v1/notifications/{theirs.id}/read", "/api/v1/notifications/ntf_nope/read",
                 f"/api/v1/notifications/{email.id}/read"):  # an email is not an in-app notification
        status, body, _ = api.put(path, token=token)
        assert status == 404 and body["error"]["code"] == "RESOURCE_NOT_FOUND", path
    assert Notification.get_by_id(theirs.id).read_at is None


def test_inbox_and_preferences_need_a_login(api):
    for method, path in (("GET", "/api/v1/notifications"), ("PUT", "/api/v1/notifications/read-all"),
                         ("GET", "/api/v1/users/me/notification-preferences"),
                         ("PUT", "/api/v1/users/me/notification-preferences"),
                         ("GET", "/api/v1/notifications/history"), ("GET", "/api/v1/loyalty")):
        status, body, _ = api.call(method, path, json={} if method == "PUT" else None)
        assert status == 401 and body["error"]["code"] == "AUTHENTICATION_ERROR", path


def test_preferences_default_then_partial_updates(api):
    user = make_user()
    token = token_for(user)
    status, body, _ = api.get("/api/v1/users/me/notification-preferences", token=token)
    assert status == 200
    prefs = body["data"]
    assert (prefs["emailNotifications"], prefs["smsNotifications"], prefs["inAppNotifications"]) == (True, False, True)
    assert prefs["categories"]["orders"] is True and prefs["categories"]["marketing"] is False
    assert prefs["smsReachable"] is False and prefs["updatedAt"] is None

    status, body, _ = api.put("/api/v1/users/me/notification-preferences",
                              {"smsNotifications": True, "categories": {"marketing": True}}, token=token)
    assert status == 200, body
    status, body, _ = api.put("/api/v1/users/me/notification-preferences",
                              {"categories": {"wishlist": False}}, token=token)
    prefs = body["data"]
    assert prefs["smsNotifications"] is True and prefs["emailNotifications"] is True
    assert prefs["categories"]["marketing"] is True and prefs["categories"]["wishlist"] is False
    assert prefs["updatedAt"]


def test_preferences_reject_bad_input_without_writing(api):
    user = make_user()
    token = token_for(user)
    for body in ({"categories": {"spam": True}}, {"emailNotifications": "perhaps"}, {"pushNotifications": True},
                 {"categories": {"orders": "x"}}, {"categories": ["orders"]}):
        status, answer, _ = api.put("/api/v1/users/me/notification-preferences", body, token=token)
        assert status in (400, 422) and answer["error"]["code"] == "VALIDATION_ERROR", body
    status, body, _ = api.get("/api/v1/users/me/notification-preferences", token=token)
    assert body["data"]["updatedAt"] is None


def test_admin_sends_a_custom_email_and_sms(api):
    admin = make_user(role="admin")
    customer = make_user()
    User.update(phone="+15557654321").where(User.id == customer.id).execute()
    token = token_for(admin)
    status, body, headers = api.post("/api/v1/notifications/email",
                                     {"userId": customer.id, "subject": "About your order",
                                      "message": "We <3 you"}, token=token, headers={"Idempotency-Key": "k1"})
    assert status == 202 and headers["Location"].startswith("/api/v1/jobs/")
    job = api.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded" and job["result"]["status"] == "logged", job
    n = Notification.get_by_id(job["result"]["notificationId"])
    assert (n.user_id, n.recipient, n.subject, n.event) == (customer.id, customer.email, "About your order", "custom")
    [sent] = OutboxMessage.select().where(OutboxMessage.notification == n.id)
    assert "We &lt;3 you" in sent.html and sent.body.strip() == "We <3 you"
    status, again, headers = api.post("/api/v1/notifications/email",
                                      {"userId": customer.id, "subject": "About your order", "message": "We <3 you"},
                                      token=token, headers={"Idempotency-Key": "k1"})
    assert again["data"]["id"] == body["data"]["id"] and headers["Idempotent-Replayed"] == "true"

    status, body, _ = api.post("/api/v1/notifications/sms", {"userId": customer.id, "message": "Parcel shipped"},
                               token=token)
    assert status == 202
    job = api.wait_job(body["data"]["id"], token=token)
    n = Notification.get_by_id(job["result"]["notificationId"])
    assert (n.channel, n.recipient, n.body, n.status) == ("sms", "+15557654321", "Parcel shipped", "logged")
    status, body, _ = api.post("/api/v1/notifications/sms", {"to": "+447700900123", "message": "Hi"}, token=token)
    assert status == 202


def test_custom_messages_are_admin_only_and_validated(api):
    customer, admin = make_user(), make_user(role="admin")
    no_phone = make_user()
    status, body, _ = api.post("/api/v1/notifications/email", {"to": "a@example.com", "subject": "x", "message": "y"})
    assert status == 401
    status, body, _ = api.post("/api/v1/notifications/email", {"to": "a@example.com", "subject": "x", "message": "y"},
                               token=token_for(customer))
    assert status == 403 and body["error"]["code"] == "AUTHORIZATION_ERROR"
    token = token_for(admin)
    bad = [
        ("email", {"subject": "x", "message": "y"}),  # no recipient
        ("email", {"to": "a@example.com", "userId": customer.id, "subject": "x", "message": "y"}),
        ("email", {"to": "not-an-email", "subject": "x", "message": "y"}),
        ("email", {"to": "a@example.com", "subject": "", "message": "y"}),
        ("email", {"userId": "usr_nobody", "subject": "x", "message": "y"}),
        ("sms", {"to": "0791234567", "message": "y"}),
        ("sms", {"userId": no_phone.id, "message": "y"}),
        ("sms", {"to": "+15557654321", "message": "y" * 1601}),
        ("sms", {"to": "+15557654321", "message": "y", "subject": "no subjects in SMS"}),
    ]
    for kind, payload in bad:
        status, body, _ = api.post(f"/api/v1/notifications/{kind}", payload, token=token)
        assert status in (400, 422) and body["error"]["code"] == "VALIDATION_ERROR", (kind, payload, body)
    assert Notification.select().count() == 0 and Job.select().where(Job.type == "notification_send").count() == 0


def test_templates_are_listed_for_staff(api):
    status, body, _ = api.get("/api/v1/notifications/templates", token=token_for(make_user(role="staff")))
    assert status == 200
    by_name = {t["name"]: t for t in body["data"]}
    assert by_name["order_placed"]["events"] == ["order.placed"]
    assert by_name["order_placed"]["files"] == ["body.html", "body.txt", "short.txt", "subject.txt"]
    assert set(by_name) >= {notifications.EVENTS[e].template for e in notifications.EVENTS} | {"custom"}
    status, _, _ = api.get("/api/v1/notifications/templates", token=token_for(make_user()))
    assert status == 403


def test_history_shows_own_notifications_to_users_and_all_to_admins(api):
    ana, bob, admin = make_user(), make_user(), make_user(role="admin")
    in_app(ana, "A1")
    in_app(ana, "A2", status="pending")
    in_app(bob, "B1")
    Notification.create(user=bob.id, channel="email", recipient=bob.email, event="order.placed", category="orders",
                        template="order_placed", status="failed", error="SendGrid HTTP 500", retry_count=4,
                        dedupe_key="h:1")
    status, body, _ = api.get("/api/v1/notifications/history", token=token_for(ana))
    assert status == 200 and {n["subject"] for n in body["data"]} == {"A1", "A2"}
    status, body, _ = api.get("/api/v1/notifications/history?status=failed", token=token_for(admin))
    assert [(n["userId"], n["retryCount"], n["error"]) for n in body["data"]] == [(bob.id, 4, "SendGrid HTTP 500")]
    status, body, _ = api.get(f"/api/v1/notifications/history?channel=in_app&userId={bob.id}",
                              token=token_for(admin))
    assert [n["subject"] for n in body["data"]] == ["B1"]
    status, body, _ = api.get(f"/api/v1/notifications/history?userId={bob.id}", token=token_for(ana))
    assert {n["subject"] for n in body["data"]} == {"A1", "A2"}  # a customer's filter cannot widen the scope
    status, body, _ = api.get("/api/v1/notifications/history?page=1&limit=1", token=token_for(admin))
    assert len(body["data"]) == 1 and body["pagination"]["total"] == 4 and body["pagination"]["hasNext"]
    for query in ("status=lost", "channel=pigeon", "limit=500"):
        status, body, _ = api.get(f"/api/v1/notifications/history?{query}", token=token_for(admin))
        assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", query


def test_bulk_announcement_reaches_customers_who_allow_it_with_progress_to_100(api, monkeypatch):
    admin = make_user(role="admin")
    token = token_for(admin)
    customers = [quick_user() for _ in range(12)]
    quick_user(role="staff")
    quick_user(is_active=False)
    opted_out = customers[0]
    notifications.update_preferences(opted_out, {"categories": {"announcements": False}})
    notifications.update_preferences(customers[1], {"in_app": False})
    status, body, _ = api.post("/api/v1/notifications/bulk",
                               {"audience": "customers", "channels": ["email", "in_app"], "category": "announcements",
                                "subject": "Holiday hours", "message": "Closed on Friday."}, token=token)
    assert status == 202, body
    assert body["data"]["progress"]["total"] == 12
    tree = wait_tree(body["data"]["id"])
    status, body, _ = api.get(f"/api/v1/jobs/{tree[0].id}", token=token)
    job = body["data"]
    assert job["state"] == "succeeded" and job["progress"]["percentage"] == 100
    assert (job["progress"]["completed"], job["progress"]["total"]) == (12, 12)
    assert job["result"]["users"] == 12 and job["result"]["usersSkipped"] == 1
    assert job["result"]["byChannel"] == {"email": 11, "in_app": 10}
    rows = list(Notification.select().where(Notification.source_job_id == tree[0].id))
    assert len(rows) == 21 and all(n.status == ("sent" if n.channel == "in_app" else "logged") for n in rows)
    assert opted_out.id not in {n.user_id for n in rows}
    assert "Closed on Friday." in rows[0].body


def test_bulk_marketing_is_opt_in_and_bad_bulk_input_is_refused(api):
    admin = make_user(role="admin")
    token = token_for(admin)
    fan, _other = quick_user(), quick_user()
    notifications.update_preferences(fan, {"categories": {"marketing": True}})
    status, body, _ = api.post("/api/v1/notifications/bulk", {"subject": "Sale", "message": "20% off"}, token=token)
    assert status == 202
    tree = wait_tree(body["data"]["id"])
    assert tree[0].result["users"] == 2 and tree[0].result["notifications"] == 2  # fan: email + in-app
    assert {n.user_id for n in Notification.select().where(Notification.source_job_id == tree[0].id)} == {fan.id}
    for payload in ({"subject": "x", "message": "y", "audience": "everyone"},
                    {"subject": "x", "message": "y", "channels": []},
                    {"subject": "x", "message": "y", "channels": ["fax"]},
                    {"subject": "x", "message": "y", "category": "orders"},
                    {"message": "y"}):
        status, body, _ = api.post("/api/v1/notifications/bulk", payload, token=token)
        assert status in (400, 422) and body["error"]["code"] == "VALIDATION_ERROR", payload
    status, _, _ = api.post("/api/v1/notifications/bulk", {"subject": "x", "message": "y"},
                            token=token_for(make_user()))
    assert status == 403
    with atomic():
        assert Job.select().where(Job.type == "notification_bulk").count() == 1
