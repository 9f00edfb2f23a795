"""Sending: the `notification_send` job handler, which renders one notification and
hands it to its channel's provider, at most once.

Sending. `send_notification_job(job, ctx)` renders the template (Jinja2 files
under templates/notifications/<template>/: subject.txt, body.txt, body.html
with autoescape, short.txt for SMS and the in-app message) and calls the
channel's provider. A `secret` event's message (the OTP login code) is rendered with its
secret (`account_mail.reveal`) and its stored body is a redacted placeholder. Never twice:
- before the call it returns at once when the notification is already `sent` (or
  `logged`: the console provider only logs, so nothing is claimed delivered);
  success is recorded with a conditional UPDATE (still pending and still ours);
- the provider call is bracketed by an in-flight marker (`send_started_at`),
  set by a conditional UPDATE before the call and cleared when the outcome is
  recorded. Recording a delivery is retried on a fresh connection for up to
  `RECORD_SECONDS` (a PostgreSQL restart right after the provider accepted the
  message must not lose the fact). An interrupted call (an error inside it, or a
  marker left by a worker that died mid-call) is settled by asking the provider
  (`Provider.find_delivered`): delivered -> recorded as such; a `verifiable`
  provider (the console outbox, in-app) that shows no delivery -> sent again;
  otherwise "outcome unknown": the notification is marked `failed`
  (`delivery_outcome_unknown`) and not sent again. That is the at-most-once
  window: a worker killed during a SendGrid or Twilio call may lose that one
  message, never duplicate it;
- provider 5xx, 429, timeouts and refused connections raise TransientError,
  so the runner retries with exponential backoff (1 s, 2 s, 4 s ...); on the
  job's last attempt the notification ends `failed` with the error and its
  retry count. A timeout can hide an accepted request, so a retry after a
  timeout may, rarely, deliver twice (SendGrid messages carry
  `custom_args.notification_id` for that case; Twilio has no idempotency key);
- other 4xx answers fail at once (ProviderRejected, not retried).

An in-app notification, once recorded `sent` (it is then in the inbox), is announced to its user
as the real-time event `new_notification` (`inbox.announce_in_app`); at most once, like every
live message.

Each provider call's outcome is counted in `cartwheel_notifications_total{channel, provider,
outcome}` (`services.platform.metrics`): sent, logged, retried, rejected or failed.
"""

from __future__ import annotations

from models.db import discard_connection, retry_on_fresh_connection, utcnow
from models.jobs import Job
from models.notifications import Notification
from services.errors import DomainError, NotFound, TransientError
from services.notifications import account_mail
from services.notifications.events import EVENTS
from services.notifications.inbox import announce_in_app
from services.notifications.providers import OutgoingMessage, ProviderRejected, provider_for
from services.notifications.rendering import render
from services.platform import JobContext, job_types, metrics

DONE_STATUSES = ("sent", "logged")  # logged: the console provider stored and logged it, nothing was delivered
RECORD_SECONDS = 10.0  # how long recording a delivery is retried on a fresh connection
BATCH_CHECKPOINT = 10  # a batch job reports progress (and checks for a cancel) every this many sends


def _record_failure(notification_id: str, marker, error: str, final: bool) -> None:
    """Clear our in-flight marker and record `error`; status failed when `final`, else pending."""
    Notification.update(status="failed" if final else "pending", error=error[:2000], send_started_at=None,
                        updated_at=utcnow()).where(
        Notification.id == notification_id, Notification.status == "pending",
        Notification.send_started_at == marker).execute()


def send_notification_job(job: Job, ctx: JobContext) -> dict:
    """`notification_send` handler. Payload `{"notificationId"}` (one notification, e.g. an
    admin's direct message) or `{"notificationIds": [...]}` (a fan-out's batch for one channel,
    see `send_batch`). Each notification is sent at most once (see the module docstring).

    One: returns `{"notificationId", "channel", "status", "provider", "providerMessageId",
    "retryCount"}` (plus `"skipped": "already_sent"` for a notification sent before); raises
    TransientError (retried), ProviderRejected / DomainError (not retried) and NotFound for a
    missing notification.
    """
    payload = job.payload or {}
    if "notificationIds" in payload:
        return send_batch(job, ctx, list(payload["notificationIds"]))
    return _send_one(payload.get("notificationId"), job)


def send_batch(job: Job, ctx: JobContext, notification_ids: list[str]) -> dict:
    """Send the notifications of one batch job, each at most once and with its own status.

    A notification whose provider answered a transient error stays `pending` and the others
    carry on; at the end the job raises TransientError, so the retry sends only what is not
    done yet (sent ones are skipped, an interrupted one is settled by asking its provider).
    One that is rejected, or whose outcome nobody can tell, ends `failed`; the rest go on.
    A worker that dies mid-batch leaves the same state: the retry finishes the batch.
    Returns `{"notifications": n, "byStatus": {status: n}, "results": [per notification]}`.
    Raises TransientError when any notification is to be retried; JobCancelled at a checkpoint.
    """
    results, to_retry = [], []
    for index, notification_id in enumerate(notification_ids):
        try:
            results.append(_send_one(notification_id, job))
        except TransientError as exc:
            to_retry.append(notification_id)
            results.append({"notificationId": notification_id, "status": "pending", "error": str(exc)[:200]})
        except DomainError as exc:
            results.append({"notificationId": notification_id, "status": "failed", "reason": exc.reason})
        if (index + 1) % BATCH_CHECKPOINT == 0:
            ctx.progress(index + 1, len(notification_ids))
    if to_retry:
        raise TransientError(f"{len(to_retry)} of {len(notification_ids)} notifications will be retried")
    by_status: dict[str, int] = {}
    for row in results:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return {"notifications": len(notification_ids), "byStatus": by_status, "results": results}


def _send_one(notification_id: str | None, job: Job) -> dict:
    """Send one notification for `job` (its attempt counts decide the final attempt)."""
    notification = Notification.get_or_none(Notification.id == notification_id)
    if notification is None:
        raise NotFound("Notification not found", reason="notification_not_found")

    def result(n: Notification, **extra) -> dict:
        return {"notificationId": n.id, "channel": n.channel, "status": n.status, "provider": n.provider,
                "providerMessageId": n.provider_message_id, "retryCount": n.retry_count, **extra}

    if notification.status in DONE_STATUSES:
        return result(notification, skipped="already_sent")
    final_attempt = job.attempts >= job.max_attempts
    if notification.send_started_at is not None:
        settled = _settle_abandoned_attempt(notification, provider_for(notification.channel))
        if settled is not None:
            return result(settled, skipped="already_sent")
    spec = EVENTS.get(notification.event or "")
    secret = bool(spec and spec.secret)  # e.g. a login code: rendered to send, stored redacted
    context = account_mail.reveal(notification.context or {}) if secret else (notification.context or {})
    try:
        rendered = render(notification.template, context)
    except DomainError as exc:
        Notification.update(status="failed", error=exc.message[:2000], updated_at=utcnow()).where(
            Notification.id == notification.id, Notification.status.not_in(DONE_STATUSES)).execute()
        raise
    provider = provider_for(notification.channel)
    is_email = notification.channel == "email"
    subject = rendered.subject
    body = rendered.text if is_email else rendered.short
    marker = utcnow()
    claimed = Notification.update(
        status="pending", send_started_at=marker, attempts=Notification.attempts + 1,
        retry_count=Notification.attempts, provider=provider.name, subject=subject,
        body=account_mail.REDACTED if secret else body,
        html=None if secret or not is_email else rendered.html, updated_at=marker,
    ).where(Notification.id == notification.id, Notification.status.in_(("pending", "failed")),
            Notification.send_started_at.is_null()).execute()
    if not claimed:
        fresh = Notification.get_by_id(notification.id)
        if fresh.status in DONE_STATUSES:
            return result(fresh, skipped="already_sent")
        raise TransientError("Another worker is sending this notification")
    message = OutgoingMessage(notification_id=notification.id, channel=notification.channel,
                              to=notification.recipient, subject=subject, text=body,
                              html=rendered.html if is_email else None)
    try:
        message_id = provider.send(message)
    except TransientError as exc:
        _record_failure(notification.id, marker, str(exc), final=final_attempt)
        metrics.count_notification(notification.channel, provider.name, "failed" if final_attempt else "retried")
        raise
    except ProviderRejected as exc:
        _record_failure(notification.id, marker, exc.message, final=True)
        metrics.count_notification(notification.channel, provider.name, "rejected")
        raise
    except BaseException as exc:  # noqa: BLE001 - a bug, a database error or a time limit mid-call
        discard_connection()
        try:
            settled = _settle(notification.id, marker, provider, f"{type(exc).__name__}: {exc}")
        except Exception as error:  # noqa: BLE001 - cannot ask now: the marker stays, a later attempt settles
            raise TransientError(f"Send interrupted ({exc}); its outcome is settled later ({error})") from exc
        if settled is None:
            raise TransientError(f"Send interrupted ({type(exc).__name__}); not delivered, sending again") from exc
        metrics.count_notification(notification.channel, provider.name, settled.status)  # sent, logged, failed
        if settled.status == "failed":
            raise DomainError("Delivery outcome unknown; not retried to avoid a duplicate",
                              reason="delivery_outcome_unknown") from exc
        return result(settled)
    status = "sent" if provider.delivers else "logged"
    if not _record_delivery(notification.id, marker, status, message_id):
        return result(Notification.get_by_id(notification.id))  # cannot happen while the marker is ours
    metrics.count_notification(notification.channel, provider.name, status)
    if notification.channel == "in_app":
        announce_in_app(notification.id)  # now in the inbox: the user's `new_notification` event
    attempts = notification.attempts + 1
    return {"notificationId": notification.id, "channel": notification.channel, "status": status,
            "provider": provider.name, "providerMessageId": message_id, "retryCount": attempts - 1}


def _record_delivery(notification_id: str, marker, status: str, message_id: str | None) -> bool:
    """Record a delivery (`status` sent or logged) while the in-flight marker is ours, retrying on a
    fresh connection for RECORD_SECONDS. Returns False when the row is no longer ours; raises
    TransientError when the database stays unreachable (the marker stays: a later attempt settles)."""
    def record() -> bool:
        now = utcnow()
        return Notification.update(status=status, sent_at=now, provider_message_id=message_id, error=None,
                                   send_started_at=None, updated_at=now).where(
            Notification.id == notification_id, Notification.status == "pending",
            Notification.send_started_at == marker).execute() == 1

    try:
        return retry_on_fresh_connection(record, RECORD_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the database blinked after the provider accepted it
        raise TransientError(f"Delivered, but the database could not record it: {exc}") from exc


def _settle(notification_id: str, marker, provider, cause: str) -> Notification | None:
    """Settle a send whose outcome is unknown (marker `marker`). Asks the provider: delivered ->
    recorded, returns the row; a verifiable provider without it -> marker cleared, returns None
    (send again); otherwise -> failed `delivery_outcome_unknown`, returns the row."""
    message_id = provider.find_delivered(notification_id)
    if message_id is not None:
        _record_delivery(notification_id, marker, "sent" if provider.delivers else "logged", message_id)
        return Notification.get_by_id(notification_id)
    if provider.verifiable:
        Notification.update(send_started_at=None, error=f"Send interrupted ({cause})"[:2000],
                            updated_at=utcnow()).where(
            Notification.id == notification_id, Notification.status == "pending",
            Notification.send_started_at == marker).execute()
        return None
    _record_failure(notification_id, marker, f"Delivery outcome unknown ({cause}); not retried to avoid a "
                                             "duplicate", final=True)
    return Notification.get_by_id(notification_id)


def _settle_abandoned_attempt(notification: Notification, provider) -> Notification | None:
    """A previous attempt set the in-flight marker and never recorded an outcome.

    Younger than the job lease: another worker may still be in the call, so retry later
    (TransientError). Older: that worker died mid-call, so the send is settled (`_settle`):
    returns the row when it turned out delivered, None when it may be sent again; raises
    DomainError (`delivery_outcome_unknown`) when nobody can tell, rather than risk a duplicate.
    """
    age = (utcnow() - notification.send_started_at).total_seconds()
    if age < job_types.lease_seconds("notification_send"):
        raise TransientError("A previous attempt may still be sending this notification")
    settled = _settle(notification.id, notification.send_started_at, provider,
                      "a worker stopped during the provider call")
    if settled is not None and settled.status == "failed":
        raise DomainError("Delivery outcome unknown; not retried to avoid a duplicate",
                          reason="delivery_outcome_unknown")
    return settled
