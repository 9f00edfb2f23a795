"""Contract tests at the HTTP boundary of the official SendGrid and Twilio SDKs, and the
send job's retry / failure / never-twice behaviour against them.

A tiny HTTP server on a loopback port plays SendGrid (202) or Twilio (201 with a
message SID); it records every request and can be told to answer 5xx or 4xx.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import time
import urllib.parse

import pytest

from models.db import atomic, utcnow
from models.jobs import Job
from models.notifications import Notification, OutboxMessage
from services import notifications
from services.errors import TransientError
from services.notifications.providers import OutgoingMessage, ProviderRejected, provider_for, sendgrid_email, twilio_sms
from services.platform import jobs
from tests.factories import make_user
from tests.factories.providers import sendgrid_server, twilio_server  # noqa: F401 (fixtures)
from tests.factories.providers import TWILIO_SID, TWILIO_TOKEN, with_providers
from workers import dispatch as dispatch_module
from workers.runner import run_job

class RecordingActor:
    """Stands in for an actor so a re-queued job is not sent to a worker (the test runs it)."""

    def __init__(self):
        self.sent = []

    def send(self, job_id):
        self.sent.append((job_id, None))

    def send_with_options(self, args, delay=None):
        self.sent.append((args[0], delay))


@pytest.fixture()
def no_send_dispatch(monkeypatch):
    actor = RecordingActor()
    monkeypatch.setitem(dispatch_module.ACTORS, "notification_send", actor)
    return actor


def direct_email(to="ana@example.com", subject="Your order", message="Hello <b>Ana</b>\n\nSecond paragraph"):
    admin = make_user(role="admin")
    with atomic():
        job = notifications.start_direct(admin, "email", None, to, subject, message)
    return job, Notification.get(Notification.send_job_id == job.id)


def direct_sms(to="+15557654321", message="Your parcel is on its way"):
    admin = make_user(role="admin")
    with atomic():
        job = notifications.start_direct(admin, "sms", None, to, "", message)
    return job, Notification.get(Notification.send_job_id == job.id)


def run_to_end(job_id, limit=10):
    """Deliver the job's message until it ends (each call is one redelivery after the backoff)."""
    for _ in range(limit):
        run_job(job_id, notifications.send_notification_job)
        job = Job.get_by_id(job_id)
        if job.state in ("succeeded", "failed", "cancelled"):
            return job
    raise AssertionError(f"job {job_id} did not end: {job.state}")


def wait_job_row(job_id, timeout=30.0):
    """Poll the job row until it ends."""
    deadline = time.monotonic() + timeout
    while True:
        job = Job.get_by_id(job_id)
        if job.state in ("succeeded", "failed", "cancelled"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.state} after {timeout}s")
        time.sleep(0.05)


# --- SDK contract --------------------------------------------------------------------------------------------


def test_sendgrid_sdk_posts_the_mail_send_request_sendgrid_expects(settings, sendgrid_server, monkeypatch):
    patched = with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    provider = provider_for("email", patched)
    assert provider.name == "sendgrid"
    message_id = provider.send(OutgoingMessage("ntf_1", "email", "ana@example.com", "Hi Ana", "Plain text",
                                               "<p>HTML</p>"))
    assert message_id == "sg-message-1"
    [request] = sendgrid_server.requests
    assert request["method"] == "POST" and request["path"] == "/v3/mail/send"
    assert request["headers"]["Authorization"] == "Bearer SG.test-key"
    body = json.loads(request["body"])
    assert body["personalizations"][0]["to"] == [{"email": "ana@example.com"}]
    assert body["from"] == {"email": "shop@cartwheel.test"}
    assert body["subject"] == "Hi Ana"
    assert body["content"] == [{"type": "text/plain", "value": "Plain text"},
                               {"type": "text/html", "value": "<p>HTML</p>"}]
    assert body["custom_args"] == {"notification_id": "ntf_1"}


def test_sendgrid_5xx_and_unreachable_are_transient_and_4xx_is_a_rejection(settings, sendgrid_server, monkeypatch):
    patched = with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    message = OutgoingMessage("ntf_1", "email", "ana@example.com", "Hi", "text")
    sendgrid_server.responses = [(500, {"errors": [{"message": "boom"}]}, None),
                                 (429, {"errors": [{"message": "slow down"}]}, None),
                                 (400, {"errors": [{"message": "bad to"}]}, None)]
    with pytest.raises(TransientError, match="SendGrid HTTP 500"):
        provider_for("email", patched).send(message)
    with pytest.raises(TransientError, match="SendGrid HTTP 429"):
        provider_for("email", patched).send(message)
    with pytest.raises(ProviderRejected, match="bad to"):
        provider_for("email", patched).send(message)
    unreachable = dataclasses.replace(patched, sendgrid_api_host="http://127.0.0.1:9")
    with pytest.raises(TransientError, match="unreachable"):
        provider_for("email", unreachable).send(message)


def test_sendgrid_timeout_is_transient(settings, sendgrid_server, monkeypatch):
    patched = with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    monkeypatch.setattr(sendgrid_email, "PROVIDER_TIMEOUT_SECONDS", 0.2)
    sendgrid_server.delay = 1.0
    with pytest.raises(TransientError):
        provider_for("email", patched).send(OutgoingMessage("ntf_1", "email", "a@example.com", "Hi", "text"))


def test_twilio_sdk_posts_the_messages_request_twilio_expects(settings, twilio_server, monkeypatch):
    patched = with_providers(settings, monkeypatch, twilio=twilio_server)
    provider = provider_for("sms", patched)
    assert provider.name == "twilio"
    sid = provider.send(OutgoingMessage("ntf_1", "sms", "+15557654321", "", "Your parcel shipped"))
    assert sid == "SM" + "1" * 32
    [request] = twilio_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == expected
    form = urllib.parse.parse_qs(request["body"].decode())
    assert form == {"To": ["+15557654321"], "From": ["+15550001111"], "Body": ["Your parcel shipped"]}


def test_twilio_5xx_is_transient_and_4xx_is_a_rejection(settings, twilio_server, monkeypatch):
    patched = with_providers(settings, monkeypatch, twilio=twilio_server)
    message = OutgoingMessage("ntf_1", "sms", "+15557654321", "", "hi")
    twilio_server.responses = [(503, {"code": 20503, "message": "Service unavailable", "status": 503}, None),
                               (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, None)]
    with pytest.raises(TransientError, match="503"):
        provider_for("sms", patched).send(message)
    with pytest.raises(ProviderRejected, match="21211"):
        provider_for("sms", patched).send(message)
    monkeypatch.setattr(twilio_sms, "PROVIDER_TIMEOUT_SECONDS", 0.2)
    twilio_server.delay = 1.0
    with pytest.raises(TransientError, match="unreachable"):
        provider_for("sms", patched).send(message)


def test_without_keys_email_and_sms_use_the_console_provider(settings):
    assert provider_for("email", settings).name == "console"
    assert provider_for("sms", settings).name == "console"
    assert provider_for("in_app", settings).name == "in_app"


# --- the send job against the providers ------------------------------------------------------------------------


def test_send_job_renders_and_sends_through_sendgrid_once(app, sendgrid_server, settings, monkeypatch,
                                                          no_send_dispatch):
    with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    job, notification = direct_email()
    assert run_to_end(job.id).state == "succeeded"
    n = Notification.get_by_id(notification.id)
    assert (n.status, n.provider, n.provider_message_id, n.attempts, n.retry_count) == \
        ("sent", "sendgrid", "sg-message-1", 1, 0)
    body = json.loads(sendgrid_server.requests[0]["body"])
    html = body["content"][1]["value"]
    assert "Hello &lt;b&gt;Ana&lt;/b&gt;" in html and "<p>Second paragraph</p>" in html  # autoescaped
    assert body["content"][0]["value"].startswith("Hello <b>Ana</b>")  # the text part is not escaped
    # The same job delivered again, and a second job for the same notification: no second request.
    run_job(job.id, notifications.send_notification_job)
    with atomic():
        again = jobs.create_job("notification_send", {"notificationId": n.id})
    result = run_to_end(again.id)
    assert result.result["skipped"] == "already_sent"
    assert len(sendgrid_server.requests) == 1


def test_provider_5xx_is_retried_then_the_notification_fails_with_the_error(app, sendgrid_server, settings,
                                                                            monkeypatch, no_send_dispatch):
    with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    sendgrid_server.default = (500, {"errors": [{"message": "internal"}]}, None)
    job, notification = direct_email()
    finished = run_to_end(job.id)
    assert finished.state == "failed" and finished.attempts == finished.max_attempts == 5
    assert finished.error["attemptsExhausted"] is True
    assert len(sendgrid_server.requests) == 5
    delays = [delay for _, delay in no_send_dispatch.sent]
    assert delays == [1000, 2000, 4000, 8000]  # re-queued with exponential backoff between attempts
    n = Notification.get_by_id(notification.id)
    assert (n.status, n.attempts, n.retry_count) == ("failed", 5, 4)
    assert "SendGrid HTTP 500" in n.error and n.send_started_at is None


def test_provider_recovering_after_a_5xx_sends_once_with_one_retry(app, twilio_server, settings, monkeypatch,
                                                                   no_send_dispatch):
    with_providers(settings, monkeypatch, twilio=twilio_server)
    twilio_server.responses = [(500, {"code": 20500, "message": "Internal", "status": 500}, None)]
    job, notification = direct_sms()
    assert run_to_end(job.id).state == "succeeded"
    n = Notification.get_by_id(notification.id)
    assert (n.status, n.provider, n.attempts, n.retry_count, n.error) == ("sent", "twilio", 2, 1, None)
    assert n.provider_message_id.startswith("SM")
    assert len(twilio_server.requests) == 2


def test_provider_4xx_fails_at_once_without_retry(app, twilio_server, settings, monkeypatch, no_send_dispatch):
    with_providers(settings, monkeypatch, twilio=twilio_server)
    twilio_server.default = (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, None)
    job, notification = direct_sms()
    finished = run_to_end(job.id)
    assert finished.state == "failed" and finished.attempts == 1
    assert finished.error["code"] == "PROVIDER_ERROR" and finished.error["reason"] == "provider_rejected"
    n = Notification.get_by_id(notification.id)
    assert n.status == "failed" and "21211" in n.error and n.retry_count == 0
    assert len(twilio_server.requests) == 1 and no_send_dispatch.sent == []


def test_a_send_interrupted_mid_call_is_never_repeated_by_a_provider_that_cannot_tell(
        app, sendgrid_server, settings, monkeypatch, no_send_dispatch):
    with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    job, notification = direct_email()
    # A worker set the in-flight marker and died during the provider call, longer than a lease ago.
    stale = utcnow() - dt.timedelta(seconds=settings.job_lease_seconds + 1)
    Notification.update(send_started_at=stale, attempts=1).where(Notification.id == notification.id).execute()
    finished = run_to_end(job.id)
    assert finished.state == "failed" and finished.error["reason"] == "delivery_outcome_unknown"
    n = Notification.get_by_id(notification.id)
    assert n.status == "failed" and "outcome unknown" in n.error
    assert sendgrid_server.requests == []  # SendGrid may have it: never a second request


def interrupted_console_send(settings):
    job, notification = direct_email()
    stale = utcnow() - dt.timedelta(seconds=settings.job_lease_seconds + 1)
    Notification.update(send_started_at=stale, attempts=1, provider="console").where(
        Notification.id == notification.id).execute()
    return job, notification


def test_an_interrupted_send_whose_outbox_row_exists_is_recorded_delivered(app, settings, no_send_dispatch):
    """The console outbox is verifiable: the row written before the worker died proves delivery."""
    job, notification = interrupted_console_send(settings)
    row = OutboxMessage.create(notification=notification.id, channel="email", recipient=notification.recipient,
                               subject="Your order", body="Hello")
    finished = run_to_end(job.id)
    n = Notification.get_by_id(notification.id)
    assert finished.state == "succeeded" and finished.result["skipped"] == "already_sent"
    assert (n.status, n.provider_message_id, n.send_started_at) == ("logged", row.id, None)
    assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1


def test_an_interrupted_send_with_no_outbox_row_is_sent_once(app, settings, no_send_dispatch):
    job, notification = interrupted_console_send(settings)
    finished = run_to_end(job.id)
    n = Notification.get_by_id(notification.id)
    assert finished.state == "succeeded" and n.status == "logged"
    assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1


def test_a_delivery_the_database_fails_to_record_is_recorded_on_a_fresh_connection(app, settings, monkeypatch,
                                                                                   no_send_dispatch):
    """PostgreSQL restarts right after the provider accepted the message: the first UPDATE fails,
    the delivery is still recorded (and never sent twice, never marked failed)."""
    import peewee

    from services.notifications import sending

    job, notification = direct_email()
    real_update = Notification.update
    failures = []

    def update_failing_once(*args, **kwargs):
        query = real_update(*args, **kwargs)
        if kwargs.get("status") == "logged" and not failures:
            failures.append(1)

            class Broken:
                def where(self, *a, **k):
                    return self

                def execute(self):
                    raise peewee.OperationalError("server closed the connection unexpectedly")

            return Broken()
        return query

    monkeypatch.setattr(sending.Notification, "update", update_failing_once)
    finished = run_to_end(job.id)
    n = Notification.get_by_id(notification.id)
    assert failures and finished.state == "succeeded" and finished.attempts == 1
    assert n.status == "logged" and n.send_started_at is None
    assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1


def test_a_send_interrupted_by_a_database_error_is_settled_not_failed(app, settings, monkeypatch,
                                                                      no_send_dispatch):
    """The console provider's own insert fails (the database went away mid-call): no outbox row,
    so the notification is sent again on the retry, once."""
    import peewee

    from services.notifications.providers import console

    real_send = console.ConsoleProvider.send
    calls = []

    def send_failing_once(self, message):
        calls.append(1)
        if len(calls) == 1:
            raise peewee.OperationalError("terminating connection due to administrator command")
        return real_send(self, message)

    monkeypatch.setattr(console.ConsoleProvider, "send", send_failing_once)
    job, notification = direct_email()
    finished = run_to_end(job.id)
    n = Notification.get_by_id(notification.id)
    assert finished.state == "succeeded" and finished.attempts == 2 and len(calls) == 2
    assert n.status == "logged"
    assert OutboxMessage.select().where(OutboxMessage.notification == n.id).count() == 1


def test_a_send_still_in_flight_elsewhere_is_retried_later_not_duplicated(app, settings, no_send_dispatch):
    job, notification = direct_email()
    Notification.update(send_started_at=utcnow(), attempts=1).where(Notification.id == notification.id).execute()
    run_job(job.id, notifications.send_notification_job)
    assert Job.get_by_id(job.id).state == "queued"  # transient: will retry after the backoff
    assert OutboxMessage.select().where(OutboxMessage.notification == notification.id).count() == 0


def test_provider_failure_through_the_real_worker_ends_failed(app, sendgrid_server, settings, monkeypatch,
                                                              backend):
    """Through the worker: in-process Worker on the stub broker. A `dramatiq` subprocess
    (Redis) was started with the session's environment and cannot see this test's fake
    server, so there the same path runs with the console provider in the tests above."""
    if backend["broker_url"] != "stub://":
        pytest.skip("the worker subprocess has no SendGrid settings pointing at this test's server")
    with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    sendgrid_server.default = (502, {"errors": [{"message": "bad gateway"}]}, None)
    job, notification = direct_email()
    Job.update(max_attempts=2).where(Job.id == job.id).execute()  # keep the backoff short (1 s)
    dispatch_module.dispatch(Job.get_by_id(job.id))
    finished = wait_job_row(job.id)
    assert finished.state == "failed" and finished.attempts == 2
    n = Notification.get_by_id(notification.id)
    assert (n.status, n.attempts, n.retry_count) == ("failed", 2, 1) and "SendGrid HTTP 502" in n.error
    assert len(sendgrid_server.requests) == 2
