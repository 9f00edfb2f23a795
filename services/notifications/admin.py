"""Admin messages: a custom email or SMS to one recipient (`start_direct`) and bulk
messages to an audience (`start_bulk`, run by the `notification_bulk` job handler
`run_bulk_job`)."""

from __future__ import annotations

from models.db import new_id
from models.jobs import Job
from models.notifications import CHANNELS, Notification, NotificationPreference
from models.users import User
from services.errors import ValidationFailed
from services.notifications import fanout
from services.notifications.events import BULK_TEMPLATE, DIRECT_TEMPLATE, SHOP_NAME
from services.notifications.fanout import _user_recipient, _write_batch
from services.notifications.preferences import E164, channels_for, preferences_of
from services.platform import JobContext, jobs


def _target(channel: str, user_id: str | None, to: str | None) -> tuple[User | None, str]:
    """The user and address of a direct message. Raises ValidationFailed (422)."""
    if bool(user_id) == bool(to):
        raise ValidationFailed("Give exactly one of userId and to", reason="recipient_required",
                               details=[{"field": "userId", "message": "Exactly one of userId and to"}])
    if user_id:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise ValidationFailed("No such user", reason="unknown_user",
                                   details=[{"field": "userId", "message": "No such user"}])
        if channel == "sms":
            phone = (user.phone or "").replace(" ", "")
            if not E164.match(phone):
                raise ValidationFailed("The user has no phone number for SMS", reason="no_phone",
                                       details=[{"field": "userId", "message": "User has no E.164 phone number"}])
            return user, phone
        return user, user.email
    if channel == "sms" and not E164.match(to):
        raise ValidationFailed("Phone numbers must be E.164 (+15551234567)", reason="invalid_phone",
                               details=[{"field": "to", "message": "E.164 phone number"}])
    return None, to


def start_direct(admin: User, channel: str, user_id: str | None, to: str | None, subject: str,
                 message: str) -> Job:
    """Admin custom email or SMS (seed 001 `POST /notifications/email|sms`): one Notification
    (template `custom`, no preference filtering: it is an explicit message to one
    recipient) and its `notification_send` job. Call inside a transaction. Raises
    ValidationFailed (422) for a missing user, a user without a phone, a bad number."""
    user, address = _target(channel, user_id, to)
    notification_id = new_id("ntf")
    job = jobs.create_job("notification_send", {"notificationId": notification_id}, owner_id=admin.id)
    name = (user.first_name if user else "") or address.split("@")[0]
    Notification.create(
        id=notification_id, user=user.id if user else None, channel=channel, recipient=address, event="custom",
        category="direct", level="info", template=DIRECT_TEMPLATE, subject_id=None,
        context={"shopName": SHOP_NAME, "subject": subject, "message": message, "recipientName": name,
                 "channel": channel, "sentBy": admin.id},
        dedupe_key=f"direct:{notification_id}", source_job_id=job.id, send_job_id=job.id)
    return job


BULK_AUDIENCES = ("customers", "staff", "admins", "all")


def _audience_query(audience: str):
    query = User.select().where(User.is_active == True)  # noqa: E712
    if audience == "customers":
        query = query.where(User.role == "customer")
    elif audience == "staff":
        query = query.where(User.role.in_(("staff", "admin")))
    elif audience == "admins":
        query = query.where(User.role == "admin")
    return query


def start_bulk(admin: User, audience: str, channels: list[str], category: str, subject: str, message: str) -> Job:
    """Admin bulk message (seed 001 `POST /notifications/bulk`): a `notification_bulk` job
    owned by the admin. `audience` customers|staff|admins|all (active users);
    `category` announcements|marketing (users' category switches apply). Call inside
    a transaction. Raises ValidationFailed (422) for an unknown audience, channel or category."""
    if audience not in BULK_AUDIENCES:
        raise ValidationFailed("Unknown audience", reason="unknown_audience",
                               details=[{"field": "audience", "message": f"One of {', '.join(BULK_AUDIENCES)}"}])
    if not channels or any(c not in CHANNELS for c in channels):
        raise ValidationFailed("Unknown channel", reason="unknown_channel",
                               details=[{"field": "channels", "message": f"Non-empty subset of {CHANNELS}"}])
    if category not in ("announcements", "marketing"):
        raise ValidationFailed("Unknown category", reason="unknown_category",
                               details=[{"field": "category", "message": "announcements or marketing"}])
    total = _audience_query(audience).count()
    return jobs.create_job("notification_bulk", {"audience": audience, "channels": list(dict.fromkeys(channels)),
                                                 "category": category, "subject": subject, "message": message,
                                                 "sentBy": admin.id},
                           owner_id=admin.id, total=total)


def run_bulk_job(job: Job, ctx: JobContext) -> dict:
    """`notification_bulk` handler: one notification per user of the audience and allowed
    channel, in batches of `FANOUT_BATCH` users (keyset by user id), progress per batch.
    Idempotent (dedupe key `{job id}:{user id}:{channel}`).

    Returns `{"audience", "users", "notifications", "existing", "usersSkipped", "byChannel"}`.
    """
    p = job.payload or {}
    audience, channels, category = p.get("audience", "customers"), tuple(p.get("channels") or ()), p.get("category")
    total = _audience_query(audience).count()
    ctx.progress(0, total, f"{total} user(s)")
    done = created = existing = skipped_users = 0
    by_channel: dict[str, int] = {}
    last_id = ""
    while True:
        users = list(_audience_query(audience).where(User.id > last_id).order_by(User.id).limit(fanout.FANOUT_BATCH))
        if not users:
            break
        last_id = users[-1].id
        rows = {row.user_id: row for row in
                NotificationPreference.select().where(NotificationPreference.user.in_([u.id for u in users]))}
        plans = []
        for user in users:
            chosen = channels_for(user, channels, category, preferences_of(user.id, rows.get(user.id)))
            if not chosen:
                skipped_users += 1
            recipient = _user_recipient(user)
            for channel in chosen:
                fields = {"event": "bulk", "category": category, "level": "info", "template": BULK_TEMPLATE,
                          "subject_id": job.id,
                          "context": {"shopName": SHOP_NAME, "subject": p.get("subject", ""),
                                      "message": p.get("message", ""), "recipientName": recipient.name,
                                      "channel": channel, "category": category}}
                plans.append((f"{job.id}:{user.id}:{channel}", recipient, channel, fields))
                by_channel[channel] = by_channel.get(channel, 0) + 1
        batch_created, batch_existing = _write_batch(job, plans)
        created += batch_created
        existing += batch_existing
        done += len(users)
        ctx.progress(done, max(total, done), f"{done} of {max(total, done)} user(s), {created} notification(s)")
    return {"audience": audience, "users": done, "notifications": created, "existing": existing,
            "usersSkipped": skipped_users, "byChannel": by_channel}
