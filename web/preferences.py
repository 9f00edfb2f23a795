"""The caller's notification preferences (seed 001 user preferences): per-channel and per-category switches."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from services import notifications
from web.schemas import CamelSchema, StrictBoolean, ok
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("notification_preferences", __name__, url_prefix="/api/v1/users/me",
                description="My notification preferences")

CATEGORY_DOC = ("Switches per category: " + ", ".join(notifications.CATEGORIES)
                + ". Defaults: all on except marketing.")


NotificationCategoriesSchema = CamelSchema.from_dict(
    {category: StrictBoolean() for category in notifications.CATEGORIES}, name="NotificationCategoriesSchema")


class NotificationPreferencesUpdateSchema(CamelSchema):
    """A partial update: only the fields sent change."""

    email_notifications = StrictBoolean(attribute="email")
    sms_notifications = StrictBoolean(attribute="sms", metadata={"description": "needs a phone number"})
    in_app_notifications = StrictBoolean(attribute="in_app")
    categories = ma.fields.Nested(NotificationCategoriesSchema, metadata={"description": CATEGORY_DOC})


class NotificationPreferencesSchema(ma.Schema):
    emailNotifications = ma.fields.Boolean()
    smsNotifications = ma.fields.Boolean()
    inAppNotifications = ma.fields.Boolean()
    categories = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean(),
                                metadata={"description": CATEGORY_DOC})
    smsReachable = ma.fields.Boolean(metadata={"description": "the account has a phone number for SMS"})
    updatedAt = ma.fields.String(allow_none=True)


class NotificationPreferencesEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(NotificationPreferencesSchema)
    message = ma.fields.String()


@blp.route("/notification-preferences")
class NotificationPreferences(MethodView):
    @blp.response(200, NotificationPreferencesEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my notification preferences (defaults until first saved)."""
        return ok(notifications.preferences_view(require_user()))

    @checked(require_user)
    @blp.arguments(NotificationPreferencesUpdateSchema, required=False)  # no body: nothing changes
    @blp.response(200, NotificationPreferencesEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body):
        """Update my notification preferences (partial: only the fields sent change)."""
        user = require_user()
        return ok(notifications.update_preferences(user, body), message="Notification preferences updated")
