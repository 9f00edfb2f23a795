"""Reading notifications: the caller's in-app list, marking them read, and the
notification history (everyone's for staff and admins); announcing a newly delivered in-app
notification to its user as the real-time event `new_notification` (seed 002)."""

from __future__ import annotations

from models.db import isoformat, utcnow
from models.notifications import Notification
from models.users import User
from services.errors import NotFound
from services.platform import user_events


def notification_view(n: Notification) -> dict:
    """History item (seed 001 Notification): id, userId, channel, event, category, template,
    recipient, subject, body, status, retryCount, attempts, provider, providerMessageId,
    error, jobId, sentAt, readAt, createdAt, updatedAt."""
    return {"id": n.id, "userId": n.user_id, "channel": n.channel, "event": n.event, "category": n.category,
            "template": n.template, "recipient": n.recipient, "subject": n.subject, "body": n.body,
            "status": n.status, "retryCount": n.retry_count, "attempts": n.attempts, "provider": n.provider,
            "providerMessageId": n.provider_message_id, "error": n.error, "jobId": n.send_job_id,
            "sentAt": isoformat(n.sent_at), "readAt": isoformat(n.read_at),
            "createdAt": isoformat(n.created_at), "updatedAt": isoformat(n.updated_at)}


def _in_app_data(n: Notification) -> dict:
    context = n.context or {}
    data = {"event": n.event}
    if n.subject_id:
        data["subjectId"] = n.subject_id
    order = context.get("order")
    if isinstance(order, dict):
        data.update({"orderId": order.get("id"), "orderNumber": order.get("number")})
    product = context.get("product")
    if isinstance(product, dict):
        data["productId"] = product.get("id")
    return data


def in_app_view(n: Notification) -> dict:
    """Seed 002 in-app notification: id, title, message, type (info|success|warning|error),
    category, data, isRead, readAt, createdAt."""
    return {"id": n.id, "title": n.subject, "message": n.body, "type": n.level, "category": n.category,
            "data": _in_app_data(n), "isRead": n.read_at is not None, "readAt": isoformat(n.read_at),
            "createdAt": isoformat(n.created_at)}


def announce_in_app(notification_id: str) -> None:
    """Send the user of a delivered (`sent`) in-app notification the real-time event
    `new_notification` with its `in_app_view` (after commit; at once outside a transaction).
    Does nothing for another channel, a notification not yet in the inbox or one without a user."""
    n = Notification.get_or_none(Notification.id == notification_id)
    if n is not None and n.channel == "in_app" and n.status == "sent" and n.user_id:
        user_events.publish_user_event(n.user_id, "new_notification", in_app_view(n))


def _in_app_query(user: User):
    return Notification.select().where(Notification.user == user.id, Notification.channel == "in_app",
                                       Notification.status == "sent")


def list_in_app(user: User, unread_only: bool, page: int, limit: int) -> tuple[list[Notification], int, int]:
    """The caller's delivered in-app notifications, newest first. Returns (rows, total, unread_count)."""
    query = _in_app_query(user)
    unread = query.where(Notification.read_at.is_null()).count()
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    total = query.count()
    rows = list(query.order_by(Notification.created_at.desc(), Notification.id.desc()).paginate(page, limit))
    return rows, total, unread


def mark_read(user: User, notification_id: str) -> Notification:
    """Mark one of the caller's in-app notifications read (idempotent: keeps the first read
    time). Raises NotFound for an unknown id or anyone else's notification."""
    n = _in_app_query(user).where(Notification.id == notification_id).first()
    if n is None:
        raise NotFound("Notification not found", reason="notification_not_found")
    if n.read_at is None:
        Notification.update(read_at=utcnow(), updated_at=utcnow()).where(
            Notification.id == n.id, Notification.read_at.is_null()).execute()
        n = Notification.get_by_id(n.id)
    return n


def mark_all_read(user: User) -> int:
    """Mark every unread in-app notification of the caller read. Returns how many changed."""
    now = utcnow()
    return (Notification.update(read_at=now, updated_at=now)
            .where(Notification.user == user.id, Notification.channel == "in_app", Notification.status == "sent",
                   Notification.read_at.is_null()).execute())


def list_history(user: User, status: str | None, channel: str | None, event: str | None, user_id: str | None,
                 page: int, limit: int) -> tuple[list[Notification], int]:
    """Notification history, newest first: staff and admins see everyone's (optionally one
    user's), others only their own. Filters: status, channel, event. Returns (rows, total)."""
    query = Notification.select()
    if not user.is_staff:
        query = query.where(Notification.user == user.id)
    elif user_id:
        query = query.where(Notification.user == user_id)
    if status:
        query = query.where(Notification.status == status)
    if channel:
        query = query.where(Notification.channel == channel)
    if event:
        query = query.where(Notification.event == event)
    total = query.count()
    return list(query.order_by(Notification.created_at.desc(), Notification.id.desc()).paginate(page, limit)), total
