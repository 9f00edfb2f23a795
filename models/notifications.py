"""Notifications (seed 001 Notification model, seed 002 in-app fields), user
notification preferences, and the console provider's outbox.

One `Notification` per recipient and channel. `dedupe_key` is UNIQUE: the
fan-out writes `{source job id}:{recipient}:{channel}`, so re-running a fan-out
job never creates a second row (nor a second send job).
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

CHANNELS = ("email", "sms", "in_app")
STATUSES = ("pending", "sent", "logged", "failed")


class Notification(BaseModel):
    """One message to one recipient on one channel.

    `recipient` is the address the provider gets: an email address, an E.164
    phone number, or the user id for in-app. `template` names a directory of
    `templates/notifications/`; `context` is the JSON snapshot it is rendered
    with (taken at fan-out), `subject`/`body`/`html` the rendered result
    (`subject` is the in-app title, `body` its message). `status` moves
    pending -> sent | logged | failed (`logged`: the console provider only stored and
    logged it; nothing was delivered); `attempts` counts provider calls, `retry_count`
    the retries among them. `send_started_at` is the in-flight marker set just
    before the provider call and cleared when its outcome is recorded: a marker
    left behind by a dead worker means "outcome unknown", and the notification
    is not sent again (at most once). `read_at` is for in-app notifications.
    """

    id = PrefixedIdField("ntf")
    user = peewee.ForeignKeyField(User, null=True, backref="notifications", on_delete="CASCADE")
    channel = peewee.CharField(max_length=16)
    recipient = peewee.CharField(max_length=254)
    event = peewee.CharField(max_length=50, index=True)
    category = peewee.CharField(max_length=30)
    level = peewee.CharField(max_length=16, default="info")  # seed 002 type: info|success|warning|error
    template = peewee.CharField(max_length=100)
    context = JSONField(default=dict)
    subject_id = peewee.CharField(max_length=40, null=True, index=True)
    subject = peewee.CharField(max_length=500, default="")
    body = peewee.TextField(default="")
    html = peewee.TextField(null=True)
    status = peewee.CharField(max_length=16, default="pending", index=True)
    attempts = peewee.IntegerField(default=0)
    retry_count = peewee.IntegerField(default=0)
    provider = peewee.CharField(max_length=20, null=True)
    provider_message_id = peewee.CharField(max_length=255, null=True)
    error = peewee.TextField(null=True)
    dedupe_key = peewee.CharField(max_length=255, unique=True)
    source_job_id = peewee.CharField(max_length=40, null=True, index=True)
    send_job_id = peewee.CharField(max_length=40, null=True)
    send_started_at = peewee.DateTimeField(null=True)
    sent_at = peewee.DateTimeField(null=True)
    read_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "channel", "status", "created_at"), False),)


class NotificationPreference(BaseModel):
    """A user's notification preferences (seed 001 `preferences`): per-channel switches and
    per-category switches (`categories` maps a category name to a boolean; missing
    categories take the defaults in services.notifications.DEFAULT_CATEGORIES)."""

    user = peewee.ForeignKeyField(User, primary_key=True, backref="notification_preference", on_delete="CASCADE")
    email = peewee.BooleanField(default=True)
    sms = peewee.BooleanField(default=False)
    in_app = peewee.BooleanField(default=True)
    categories = JSONField(default=dict)
    updated_at = peewee.DateTimeField(default=utcnow)


class OutboxMessage(BaseModel):
    """A message the console provider "sent" (embedded mode, no provider keys): the
    rendered message exactly as it would have gone out. One row per provider call,
    so a duplicate send would show as two rows."""

    id = PrefixedIdField("obx")
    notification = peewee.ForeignKeyField(Notification, backref="outbox", on_delete="CASCADE")
    channel = peewee.CharField(max_length=16)
    recipient = peewee.CharField(max_length=254)
    subject = peewee.CharField(max_length=500, default="")
    body = peewee.TextField(default="")
    html = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
