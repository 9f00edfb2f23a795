"""Account messages through the official SDKs against the fake provider servers (issue 8): the
OTP login code by Twilio (the code reaches Twilio, the stored notification is redacted), and the
password reset and email confirmation links by SendGrid. The jobs run in this process, so the
settings pointing at the fake servers apply (no worker is sent anything: the service calls
write the jobs, the test runs them)."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from models.jobs import Job
from models.notifications import Notification
from models.users import OtpChallenge
from services import customers, notifications
from services.customers import otp_login
from tests.factories import make_user
from tests.factories.providers import sendgrid_server, twilio_server  # noqa: F401 (fixtures)
from tests.factories.providers import TWILIO_SID, with_providers
from workers import dispatch as dispatch_module
from workers.runner import run_job


class NoWorker:
    """Stands in for the fan-out and send actors: nothing reaches a worker (this test runs the jobs)."""

    def send(self, job_id):
        pass

    def send_with_options(self, args, delay=None):
        pass


@pytest.fixture(autouse=True)
def jobs_run_here(monkeypatch):
    for job_type in ("event_fanout", "notification_send"):
        monkeypatch.setitem(dispatch_module.ACTORS, job_type, NoWorker())


def run_event(event: str) -> list[Notification]:
    """Run the newest `event` fan-out job and the send jobs it wrote; its notifications."""
    fanout = [j for j in Job.select().where(Job.type == "event_fanout").order_by(Job.created_at)
              if j.payload["event"] == event][-1]
    run_job(fanout.id, notifications.fan_out_event)
    sent = list(Notification.select().where(Notification.source_job_id == fanout.id))
    for send_job in {n.send_job_id for n in sent}:
        run_job(send_job, notifications.send_notification_job)
    assert Job.get_by_id(fanout.id).state == "succeeded"
    return [Notification.get_by_id(n.id) for n in sent]


def test_the_login_code_goes_to_twilio_and_is_not_stored(db, settings, monkeypatch, twilio_server):  # noqa: F811
    with_providers(settings, monkeypatch, twilio=twilio_server)
    customers.send_otp("+962 79 111 2233")
    [notification] = run_event("account.otp")
    code = otp_login.code_for(OtpChallenge.get().id)
    [request] = twilio_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    form = urllib.parse.parse_qs(request["body"].decode())
    assert form["To"] == ["+962791112233"] and form["From"] == ["+15550001111"]
    assert form["Body"][0].startswith(f"{code} is your Cartwheel login code")
    assert (notification.status, notification.provider, notification.channel) == ("sent", "twilio", "sms")
    assert code not in notification.body and notification.body == "[one-time code: sent, not stored]"

    assert customers.verify_otp("+962791112233", code)[1] is True  # the texted code signs in


def test_reset_and_confirmation_links_go_to_sendgrid(db, settings, monkeypatch, sendgrid_server):  # noqa: F811
    with_providers(settings, monkeypatch, sendgrid=sendgrid_server)
    user = make_user()
    customers.request_password_reset(user.email)
    [reset] = run_event("account.password_reset")
    customers.request_verification(user)
    [confirm] = run_event("account.verify_email")
    assert [n.provider for n in (reset, confirm)] == ["sendgrid", "sendgrid"]
    assert [n.status for n in (reset, confirm)] == ["sent", "sent"]
    bodies = [json.loads(r["body"]) for r in sendgrid_server.requests]
    assert [b["personalizations"][0]["to"][0]["email"] for b in bodies] == [user.email, user.email]
    texts = [next(c["value"] for c in b["content"] if c["type"] == "text/plain") for b in bodies]
    token = re.search(r"reset-password\?token=([A-Za-z0-9_.-]+)", texts[0]).group(1)
    assert re.search(r"verify-email\?token=", texts[1])
    customers.reset_password(token, "plum-orchard-lantern-42")  # the mailed link works
    assert customers.authenticate(user.email, "plum-orchard-lantern-42").id == user.id
