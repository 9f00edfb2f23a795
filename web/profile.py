"""My profile (seed 002 user routes): `GET/PUT /users/profile`, `POST /users/upload-avatar`,
`GET/PUT /users/preferences`, and the avatar files at `GET /media/avatars/{user}/{file}`.

The preferences' email, SMS and in-app switches and the newsletter/orders categories are the
notification preferences of `/users/me/notification-preferences`: both routes read and write
the same rows (services.notifications), so they always agree. Changing the email address is
not a profile update.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import validate

import config
from models.profiles import GENDERS, SKIN_TYPES, THEMES
from services import customers, notifications
from web.schemas import CamelSchema, StrictBoolean, StrictFloat, StrictInteger, ok
from web.security import BEARER_SECURITY, checked, require_user
from web.uploads import media_response, uploaded_file

blp = Blueprint("profile", __name__, url_prefix="/api/v1", description="My profile, avatar and preferences")

LANGUAGE = dict(validate=validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$",
                                         error="A BCP 47 language tag, e.g. en, ar, pt-BR"),
                metadata={"description": "BCP 47 language tag: language[-Script][-REGION], e.g. en, ar, pt-BR"})
SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$", error="1-40 letters, digits, spaces, '-' or '_'")
AVATAR_CACHE = "public, max-age=31536000, immutable"  # a stored avatar never changes: a new one has a new name


# --------------------------------------------------------------------------- schemas

class LocationSchema(CamelSchema):
    """Where the customer is (seed 002 profile.location); every part optional."""

    city = ma.fields.String(validate=validate.Length(max=100))
    state = ma.fields.String(validate=validate.Length(max=100))
    country = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2"))
    coordinates = ma.fields.List(StrictFloat(allow_nan=False), validate=validate.Length(equal=2),
                                 metadata={"description": "[longitude, latitude] in degrees"})

    @ma.validates("coordinates")
    def coordinates_in_range(self, value, **kwargs):
        if len(value) != 2:  # a bad item, or the wrong length: reported by the field itself
            return
        longitude, latitude = value
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            raise ma.ValidationError("Longitude within [-180, 180], latitude within [-90, 90]")


class ProfileUpdateSchema(CamelSchema):
    """A partial update: only the fields sent change; null clears a field."""

    first_name = ma.fields.String(validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(min=1, max=32),
                             metadata={"description": "stored in E.164; a national number is read in the "
                                                      "country of `location`"})
    date_of_birth = ma.fields.Date(allow_none=True, metadata={"description": "ISO date; not in the future, "
                                                                             "age 13 or more"})
    gender = ma.fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    language = ma.fields.String(allow_none=True, **LANGUAGE)
    theme = ma.fields.String(allow_none=True, validate=validate.OneOf(THEMES))
    location = ma.fields.Nested(LocationSchema, allow_none=True)
    skin_type = ma.fields.String(allow_none=True, validate=validate.OneOf(SKIN_TYPES))
    skin_concerns = ma.fields.List(ma.fields.String(validate=SLUG), allow_none=True,
                                   validate=validate.Length(max=20),
                                   metadata={"description": "e.g. acne, dark-spots (stored lower-case)"})
    is_onboarded = StrictBoolean()


class ProfileDeviceSchema(CamelSchema):
    device_id = ma.fields.String()
    platform = ma.fields.String(allow_none=True)
    last_used = ma.fields.String()


class ProfileSchema(CamelSchema):
    id = ma.fields.String()
    email = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    role = ma.fields.String()
    date_of_birth = ma.fields.Date(allow_none=True)
    gender = ma.fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    language = ma.fields.String(allow_none=True)
    theme = ma.fields.String(allow_none=True, validate=validate.OneOf(THEMES))
    location = ma.fields.Nested(LocationSchema, allow_none=True)
    skin_type = ma.fields.String(allow_none=True, validate=validate.OneOf(SKIN_TYPES))
    skin_concerns = ma.fields.List(ma.fields.String())
    avatar_url = ma.fields.String(allow_none=True)
    is_verified = ma.fields.Boolean()
    is_onboarded = ma.fields.Boolean()
    last_login = ma.fields.String(allow_none=True)
    last_active_at = ma.fields.String(allow_none=True)
    devices = ma.fields.List(ma.fields.Nested(ProfileDeviceSchema))
    created_at = ma.fields.String()


class ProfileEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ProfileSchema)
    message = ma.fields.String()


class AvatarFormSchema(CamelSchema):
    """multipart/form-data: the picture as `avatar`."""

    avatar = Upload(required=True, metadata={"description": "JPEG, PNG, WebP or GIF, at most AVATAR_MAX_BYTES "
                                                            "(default 5 MB) and AVATAR_MAX_DIMENSION pixels a side"})


class NotificationSwitchesSchema(CamelSchema):
    email = StrictBoolean()
    sms = StrictBoolean(metadata={"description": "needs a phone number"})
    push = StrictBoolean()
    in_app = StrictBoolean()


class PriceRangeSchema(CamelSchema):
    """Minor units of the shop currency; min <= max."""

    min = StrictInteger(load_default=0, validate=validate.Range(min=0, max=10**12))
    max = StrictInteger(required=True, validate=validate.Range(min=0, max=10**12))


class UserPreferencesUpdateSchema(CamelSchema):
    """A partial update: only the fields sent change."""

    language = ma.fields.String(allow_none=True, **LANGUAGE)
    theme = ma.fields.String(allow_none=True, validate=validate.OneOf(THEMES))
    notifications = ma.fields.Nested(NotificationSwitchesSchema,
                                     metadata={"description": "channel switches; email, sms and inApp are the "
                                                              "notification preferences"})
    newsletter = StrictBoolean(metadata={"description": "the notification preferences' marketing category"})
    order_notifications = StrictBoolean(metadata={"description": "the notification preferences' orders category"})
    categories = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)),
                                validate=validate.Length(max=50),
                                metadata={"description": "preferred product categories (ids or slugs)"})
    favorite_occasions = ma.fields.List(ma.fields.String(validate=SLUG), validate=validate.Length(max=50),
                                        metadata={"description": "e.g. birthday, anniversary (seed 001)"})
    price_range = ma.fields.Nested(PriceRangeSchema, allow_none=True)
    currency = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"),
                                metadata={"description": "display currency, ISO 4217"})


class UserPreferencesSchema(CamelSchema):
    language = ma.fields.String(allow_none=True)
    theme = ma.fields.String(allow_none=True)
    notifications = ma.fields.Nested(NotificationSwitchesSchema)
    newsletter = ma.fields.Boolean()
    order_notifications = ma.fields.Boolean()
    categories = ma.fields.List(ma.fields.String())
    favorite_occasions = ma.fields.List(ma.fields.String())
    price_range = ma.fields.Nested(PriceRangeSchema, allow_none=True)
    currency = ma.fields.String(allow_none=True)
    updated_at = ma.fields.String(allow_none=True)


class UserPreferencesEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(UserPreferencesSchema)
    message = ma.fields.String()


# --------------------------------------------------------------------------- routes

@blp.route("/users/profile")
class Profile(MethodView):
    @blp.response(200, ProfileEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my profile."""
        return ok(customers.get_profile(require_user()))

    @blp.response(200, ProfileEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ProfileUpdateSchema)
    def put(self, body):
        """Update my profile (partial: only the fields sent change; the email is changed elsewhere)."""
        return ok(customers.update_profile(require_user(), body), message="Profile updated")


def _uploaded_avatar() -> bytes | None:
    """The `avatar` part, up to AVATAR_MAX_BYTES (web.uploads)."""
    return uploaded_file("avatar", config.get().avatar_max_bytes)


@blp.route("/users/upload-avatar")
class AvatarUpload(MethodView):
    @blp.response(200, ProfileEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY, requestBody={
        "required": True, "content": {"multipart/form-data": {"schema": AvatarFormSchema}}})
    def post(self):
        """Upload my profile picture (re-encoded to WebP, at most 512x512, metadata removed)."""
        user = require_user()
        return ok(customers.store_avatar(user, _uploaded_avatar()), message="Avatar updated")


@blp.route("/users/avatar")
class Avatar(MethodView):
    @blp.response(200, ProfileEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self):
        """Remove my profile picture (`avatarUrl` becomes null, the file is deleted)."""
        return ok(customers.remove_avatar(require_user()), message="Avatar removed")


@blp.route("/users/preferences")
class Preferences(MethodView):
    @blp.response(200, UserPreferencesEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my preferences (language, theme, notification switches, shopping preferences)."""
        user = require_user()
        return ok(customers.customer_preferences_view(user, notifications.preferences_view(user)))

    @blp.response(200, UserPreferencesEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(UserPreferencesUpdateSchema)
    def put(self, body):
        """Update my preferences (partial: only the fields sent change)."""
        user = require_user()
        customers.update_customer_preferences(user, body, notifications.update_preferences)
        return ok(customers.customer_preferences_view(user, notifications.preferences_view(user)),
                  message="Preferences updated")


AVATAR_RESPONSES = {"200": {"description": "The avatar image", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in ("image/webp", "image/png")}}}


@blp.route("/media/avatars/<id(usr):user_id>/<string:filename>")
class AvatarMedia(MethodView):
    @blp.doc(responses=AVATAR_RESPONSES)
    @blp.response(200, description="The avatar image", content_type="image/webp")
    def get(self, user_id, filename):
        """Get an avatar image (public; cached for a year, a new avatar has a new URL)."""
        path, media_type = customers.avatar_file(user_id, filename)
        return media_response(path, media_type, AVATAR_CACHE, max_age=31536000)
