"""Password change, forgot / reset and email verification (issue 8): single-use, short-lived
signed links emailed by jobs through the notification system; reset and change sign sessions
out; forgot-password answers the same whether or not the account exists."""

import datetime as dt
import re

from models.db import utcnow
from models.jobs import Job
from models.notifications import Notification
from models.users import AccountToken, User
from tests.factories import make_user, wait_tree

PASSWORD = "correct-horse-9"
NEW_PASSWORD = "plum-orchard-lantern-42"


def login(api, email, password=PASSWORD):
    return api.post("/api/v1/auth/login", {"email": email, "password": password})


def sent_mail(event, **payload):
    """The email notification of the (finished) `event` fan-out job whose payload matches."""
    jobs = [j for j in Job.select().where(Job.type == "event_fanout").order_by(Job.created_at)
            if j.payload["event"] == event and all(j.payload.get(k) == v or j.payload["data"].get(k) == v
                                                   for k, v in payload.items())]
    assert jobs, f"no {event} job"
    wait_tree(jobs[-1].id)
    return list(Notification.select().where(Notification.source_job_id == jobs[-1].id)), jobs[-1]


def token_in(notification):
    found = re.search(r"token=([A-Za-z0-9_.-]+)", notification.body)
    assert found, notification.body
    return found.group(1)


def forgot(api, email):
    status, body, _ = api.post("/api/v1/auth/forgot-password", {"email": email})
    assert status == 202, body
    return body


def test_forgot_password_answers_the_same_and_mails_only_an_existing_account(api):
    user = make_user()
    assert forgot(api, user.email) == forgot(api, "nobody-here@example.com")
    mails, _ = sent_mail("account.password_reset", email=user.email)
    assert [(m.channel, m.recipient, m.status) for m in mails] == [("email", user.email, "logged")]
    assert "http://localhost:3000/reset-password?token=" in mails[0].body and "30 minutes" in mails[0].body
    nobody, job = sent_mail("account.password_reset", email="nobody-here@example.com")
    assert nobody == [] and Job.get_by_id(job.id).result["skipped"] == "no_account"
    assert AccountToken.select().count() == 1


def test_a_reset_link_sets_the_password_once_and_signs_every_session_out(api):
    user = make_user()
    session = login(api, user.email)[1]["data"]
    forgot(api, user.email)
    token = token_in(sent_mail("account.password_reset", email=user.email)[0][0])

    status, body, _ = api.post("/api/v1/auth/reset-password", {"token": token, "newPassword": "password1"})
    assert status == 422 and body["error"]["reason"] == "weak_password"  # refused: the link still works
    status, body, _ = api.post("/api/v1/auth/reset-password", {"token": token, "newPassword": NEW_PASSWORD})
    assert status == 200, body
    assert api.get("/api/v1/auth/me", token=session["accessToken"])[1]["error"]["reason"] == "session_revoked"
    assert login(api, user.email)[0] == 401 and login(api, user.email, NEW_PASSWORD)[0] == 200
    assert User.get_by_id(user.id).is_verified  # the link proved the address
    status, body, _ = api.post("/api/v1/auth/reset-password", {"token": token, "newPassword": "another-Pass-987x"})
    assert status == 422 and body["error"]["reason"] == "invalid_account_token"
    notices, _ = sent_mail("account.password_changed", subjectId=user.id)
    assert len(notices) == 1 and "was reset" in notices[0].subject


def test_forged_expired_outdated_and_superseded_links_are_refused(api):
    user = make_user()
    forgot(api, user.email)
    first = token_in(sent_mail("account.password_reset", email=user.email)[0][0])
    row_id, _, signature = first.partition(".")
    forged = f"{row_id}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for bad in (forged, row_id, "act_missing.abc", "garbage"):
        status, body, _ = api.post("/api/v1/auth/reset-password", {"token": bad, "newPassword": NEW_PASSWORD})
        assert status == 422 and body["error"]["reason"] == "invalid_account_token", bad
    forgot(api, user.email)  # a newer link supersedes the first
    second = token_in(sent_mail("account.password_reset", email=user.email)[0][0])
    assert api.post("/api/v1/auth/reset-password", {"token": first, "newPassword": NEW_PASSWORD})[0] == 422
    AccountToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert api.post("/api/v1/auth/reset-password", {"token": second, "newPassword": NEW_PASSWORD})[0] == 422
    assert login(api, user.email)[0] == 200


def test_changing_the_password_keeps_this_session_and_signs_the_others_out(api):
    user = make_user()
    other = login(api, user.email)[1]["data"]
    mine = login(api, user.email)[1]["data"]
    path = "/api/v1/auth/change-password"
    status, body, _ = api.post(path, {"currentPassword": "wrong-Password-1", "newPassword": NEW_PASSWORD},
                               token=mine["accessToken"])
    assert status == 401 and body["error"]["reason"] == "invalid_credentials"
    status, body, _ = api.post(path, {"currentPassword": PASSWORD, "newPassword": PASSWORD}, token=mine["accessToken"])
    assert status == 422 and body["error"]["reason"] == "password_unchanged"
    status, body, _ = api.post(path, {"currentPassword": PASSWORD, "newPassword": "12345678"},
                               token=mine["accessToken"])
    assert status == 422 and body["error"]["reason"] == "weak_password"
    status, body, _ = api.post(path, {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
                               token=mine["accessToken"])
    assert status == 200 and body["data"] == {"signedOut": 1}, body
    assert api.get("/api/v1/auth/me", token=other["accessToken"])[0] == 401
    assert api.get("/api/v1/auth/me", token=mine["accessToken"])[0] == 200
    assert login(api, user.email, NEW_PASSWORD)[0] == 200
    assert api.post(path, {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})[0] == 401
    notices, _ = sent_mail("account.password_changed", subjectId=user.id)
    assert "was changed" in notices[0].subject


def test_registration_mails_a_confirmation_link_that_verifies_the_email_once(api):
    status, body, _ = api.post("/api/v1/auth/register", {"email": "new.buyer@example.com", "password": NEW_PASSWORD,
                                                         "firstName": "New", "lastName": "Buyer"})
    assert status == 201, body
    user_id, access = body["data"]["user"]["id"], body["data"]["accessToken"]
    assert not User.get_by_id(user_id).is_verified
    mails, _ = sent_mail("account.verify_email", subjectId=user_id)
    token = token_in(mails[0])
    assert "/verify-email?token=" in mails[0].body
    status, body, _ = api.post("/api/v1/auth/verify-email", {"token": token})
    assert status == 200, body
    assert User.get_by_id(user_id).is_verified and User.get_by_id(user_id).email_verified_at
    assert api.post("/api/v1/auth/verify-email", {"token": token})[1]["error"]["reason"] == "invalid_account_token"
    status, body, _ = api.post("/api/v1/auth/verify-email/resend", token=access)
    assert status == 409 and body["error"]["reason"] == "email_already_verified"
    assert api.post("/api/v1/auth/verify-email/resend")[0] == 401


def test_a_reset_token_does_not_verify_an_email_and_the_reverse(api):
    user = make_user()
    status, _, _ = api.post("/api/v1/auth/verify-email/resend", token=login(api, user.email)[1]["data"]["accessToken"])
    assert status == 202
    verify = token_in(sent_mail("account.verify_email", subjectId=user.id)[0][0])
    status, body, _ = api.post("/api/v1/auth/reset-password", {"token": verify, "newPassword": NEW_PASSWORD})
    assert status == 422 and body["error"]["reason"] == "invalid_account_token"
    assert api.post("/api/v1/auth/verify-email", {"token": verify})[0] == 200
