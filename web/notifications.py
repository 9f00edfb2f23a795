"""Notifications: the caller's in-app notifications (seed 002: list, mark read, mark all
read), history, templates, and admin custom email/SMS and bulk messages (seed 001)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.notifications import CHANNELS, STATUSES
from services import notifications
from web.jobview import documents_job, submit
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean, ok, pagination
from web.security import BEARER_SECURITY, checked, require_admin, require_staff, require_user

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Notifications: in-app inbox, history, templates, admin email/SMS/bulk")

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
SUBJECT = dict(required=True, validate=validate.Length(min=1, max=200))


class NotificationQueryArgsSchema(PaginationArgsSchema):
    unread = QueryBoolean(load_default=False, metadata={"description": "only unread notifications"})


class NotificationHistoryQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    channel = ma.fields.String(validate=validate.OneOf(CHANNELS))
    event = ma.fields.String(validate=validate.Length(min=1, max=50))
    user_id = ma.fields.String(validate=validate.Length(min=1, max=40),
                               metadata={"description": "staff and admins: one user's notifications"})


def exactly_one_of(a: str, b: str) -> dict:
    """JSON Schema: exactly one of the (nullable) properties `a` and `b` is a string."""
    return {"oneOf": [{"required": [a], "properties": {a: {"type": "string"}, b: {"type": "null"}}},
                      {"required": [b], "properties": {b: {"type": "string"}, a: {"type": "null"}}}]}


class NotificationEmailCreateSchema(CamelSchema):
    """Exactly one of `userId` (a registered user) and `to` (any address)."""

    JSON_SCHEMA = exactly_one_of("userId", "to")

    user_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    to = ma.fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    subject = ma.fields.String(**SUBJECT)
    message = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000),
                               metadata={"description": "plain text; blank lines separate HTML paragraphs"})


class NotificationSmsCreateSchema(CamelSchema):
    """Exactly one of `userId` (a user with a phone number) and `to` (E.164)."""

    JSON_SCHEMA = exactly_one_of("userId", "to")

    user_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    to = ma.fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(E164_PATTERN, error="E.164 phone number, e.g. +15551234567"))
    message = ma.fields.String(required=True, validate=validate.Length(min=1, max=1600))


class NotificationBulkCreateSchema(CamelSchema):
    audience = ma.fields.String(load_default="customers", validate=validate.OneOf(notifications.BULK_AUDIENCES),
                                metadata={"description": "active users: customers, staff (staff and admins), "
                                                         "admins, or all"})
    channels = ma.fields.List(ma.fields.String(validate=validate.OneOf(CHANNELS)), load_default=["email", "in_app"],
                              validate=validate.Length(min=1, max=3))
    category = ma.fields.String(load_default="marketing", validate=validate.OneOf(("announcements", "marketing")),
                                metadata={"description": "users who switched this category off are skipped"})
    subject = ma.fields.String(**SUBJECT)
    message = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000))


class InAppNotificationSchema(ma.Schema):
    """A seed-002 in-app notification."""

    id = ma.fields.String()
    title = ma.fields.String()
    message = ma.fields.String()
    type = ma.fields.String(metadata={"description": "info, success, warning or error"})
    category = ma.fields.String()
    data = ma.fields.Dict()
    isRead = ma.fields.Boolean()
    readAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()


class InAppNotificationEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(InAppNotificationSchema)
    message = ma.fields.String()


class InAppNotificationListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(InAppNotificationSchema))
    pagination = ma.fields.Nested(PaginationSchema)
    unreadCount = ma.fields.Integer()


class ReadAllResultSchema(ma.Schema):
    updated = ma.fields.Integer(metadata={"description": "notifications marked read"})


class ReadAllEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReadAllResultSchema)
    message = ma.fields.String()


class NotificationSchema(ma.Schema):
    """A notification as kept in history (seed 001 Notification model)."""

    id = ma.fields.String()
    userId = ma.fields.String(allow_none=True)
    channel = ma.fields.String(metadata={"description": "email, sms or in_app"})
    event = ma.fields.String()
    category = ma.fields.String()
    template = ma.fields.String()
    recipient = ma.fields.String()
    subject = ma.fields.String()
    body = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending, sent, logged (console provider: not delivered) or failed"})
    retryCount = ma.fields.Integer()
    attempts = ma.fields.Integer()
    provider = ma.fields.String(allow_none=True)
    providerMessageId = ma.fields.String(allow_none=True)
    error = ma.fields.String(allow_none=True)
    jobId = ma.fields.String(allow_none=True)
    sentAt = ma.fields.String(allow_none=True)
    readAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class NotificationListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(NotificationSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class NotificationTemplateSchema(ma.Schema):
    name = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    category = ma.fields.String(allow_none=True)
    channels = ma.fields.List(ma.fields.String())
    description = ma.fields.String()
    files = ma.fields.List(ma.fields.String())


class NotificationTemplateListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(NotificationTemplateSchema))


@blp.route("")
class Notifications(MethodView):
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, InAppNotificationListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my in-app notifications, newest first (with the unread count)."""
        user = require_user()
        rows, total, unread = notifications.list_in_app(user, args["unread"], args["page"], args["limit"])
        return ok([notifications.in_app_view(n) for n in rows],
                  pagination=pagination(args["page"], args["limit"], total), unreadCount=unread)


@blp.route("/<id(ntf):notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, InAppNotificationEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, notification_id):
        """Mark one of my in-app notifications read."""
        user = require_user()
        return ok(notifications.in_app_view(notifications.mark_read(user, notification_id)),
                  message="Notification marked as read")


@blp.route("/read-all")
class NotificationReadAll(MethodView):
    @blp.response(200, ReadAllEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self):
        """Mark all my in-app notifications read."""
        user = require_user()
        return ok({"updated": notifications.mark_all_read(user)}, message="All notifications marked as read")


@blp.route("/history")
class NotificationHistory(MethodView):
    @checked(require_user)
    @blp.arguments(NotificationHistoryQueryArgsSchema, location="query")
    @blp.response(200, NotificationListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Notification history on every channel (staff and admins: everyone's; others: their own)."""
        user = require_user()
        rows, total = notifications.list_history(user, args.get("status"), args.get("channel"), args.get("event"),
                                                 args.get("user_id"), args["page"], args["limit"])
        return ok([notifications.notification_view(n) for n in rows],
                  pagination=pagination(args["page"], args["limit"], total))


@blp.route("/templates")
class NotificationTemplates(MethodView):
    @blp.response(200, NotificationTemplateListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List the notification templates and the events that use them (staff)."""
        require_staff()
        return ok(notifications.list_templates())


@blp.route("/email")
class NotificationEmails(MethodView):
    @checked(require_admin)
    @blp.arguments(NotificationEmailCreateSchema)
    @documents_job(blp, "Send job accepted; poll Location")
    def post(self, body):
        """Send a custom email to a user or an address (admin): answers 202 with the send job."""
        admin = require_admin()
        return submit(lambda: notifications.start_direct(admin, "email", body["user_id"], body["to"],
                                                         body["subject"], body["message"]))


@blp.route("/sms")
class NotificationSms(MethodView):
    @checked(require_admin)
    @blp.arguments(NotificationSmsCreateSchema)
    @documents_job(blp, "Send job accepted; poll Location")
    def post(self, body):
        """Send an SMS to a user or an E.164 number (admin): answers 202 with the send job."""
        admin = require_admin()
        return submit(lambda: notifications.start_direct(admin, "sms", body["user_id"], body["to"], "",
                                                         body["message"]))


@blp.route("/bulk")
class NotificationBulk(MethodView):
    @checked(require_admin)
    @blp.arguments(NotificationBulkCreateSchema)
    @documents_job(blp, "Bulk job accepted; poll Location for progress")
    def post(self, body):
        """Send a message to a set of users (admin): answers 202 with a `notification_bulk` job."""
        admin = require_admin()
        return submit(lambda: notifications.start_bulk(admin, body["audience"], body["channels"], body["category"],
                                                       body["subject"], body["message"]))
