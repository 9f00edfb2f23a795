"""Customer profiles (seed 002 `GET/PUT /profile`, `GET/PUT /preferences`; seed 001 preferences
and deviceInfo; seed 004 skin profile): reading and partially updating the profile, the
preferences, the devices a customer signs in from and when they were last active.

The profile is the account's names and phone (models.users.User) plus a `CustomerProfile`
row (created on first write; defaults until then), whose personal fields are encrypted at
rest. Phone numbers are normalised to E.164 (phonenumbers); a date of birth must be a past
date of someone at least `MIN_AGE` years old. Changing the email address is not done here
(it needs a verified confirmation: services.customers.credentials).

Preferences combine the profile's language, theme and shopping preferences (push switch,
categories, favorite occasions, price range, display currency) with the notification
preferences (email, SMS and in-app switches, the marketing and orders categories) of
services.notifications. That package depends on this one, so this module cannot import it:
the caller passes the notification preferences view in, and the notification writer, which
runs inside this module's transaction (both are saved, or neither).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

import peewee
import phonenumbers

import config
from models.db import atomic, isoformat, utcnow
from models.profiles import GENDERS, SKIN_TYPES, THEMES, CustomerProfile, UserDevice
from models.users import User
from services import loyalty
from services.customers.phone_identity import is_phone_conflict, phone_columns, phone_taken_error
from services.errors import ValidationFailed

MIN_AGE = 13  # years; younger customers need a guardian's account (COPPA, GDPR art. 8)
MAX_DEVICES = 20  # devices kept per user (the most recently used)
ACTIVITY_RESOLUTION = dt.timedelta(minutes=5)  # last_active_at is written at most this often
BCP47 = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?$")
PROFILE_FIELDS = ("date_of_birth", "gender", "language", "theme", "location", "skin_type", "skin_concerns",
                  "is_onboarded")
USER_FIELDS = ("first_name", "last_name", "phone")
DEFAULT_PREFERENCES = {"push": True, "categories": [], "favoriteOccasions": [], "priceRange": None,
                       "currency": None}


# --------------------------------------------------------------------------- validation

def normalise_phone(raw: str, region: str | None = None, field: str = "phone") -> str:
    """`raw` as an E.164 number (`+962791234567`). `region` (ISO 3166-1 alpha-2) reads a
    national number (`0791234567` with "JO"); without it the number needs its `+` country code.
    Raises ValidationFailed (422 `invalid_phone`) for anything that is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region if region and re.fullmatch(r"[A-Z]{2}", region) else None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed("Not a valid phone number", reason="invalid_phone",
                               details=[{"field": field, "message": "A valid number with its country code, "
                                                                   "e.g. +14155552671"}])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_date_of_birth(value: dt.date, today: dt.date | None = None, field: str = "dateOfBirth") -> dt.date:
    """`value` if it is a date in the past of someone at least MIN_AGE years old (and born after
    1900). Raises ValidationFailed (422 `invalid_date_of_birth`)."""
    today = today or utcnow().date()
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if value > today:
        problem = "Must not be in the future"
    elif age < MIN_AGE:
        problem = f"Customers must be at least {MIN_AGE} years old"
    elif value.year < 1900:
        problem = "Must be after 1900"
    else:
        return value
    raise ValidationFailed(problem, reason="invalid_date_of_birth", details=[{"field": field, "message": problem}])


def normalise_language(tag: str, field: str = "language") -> str:
    """A BCP 47 tag `language[-Script][-REGION]` in its canonical case (`pt-BR`, `zh-Hant-TW`).
    Raises ValidationFailed (422 `invalid_language`)."""
    match = BCP47.match(tag or "")
    if not match:
        raise ValidationFailed("Not a BCP 47 language tag", reason="invalid_language",
                               details=[{"field": field, "message": "e.g. en, ar, pt-BR"}])
    parts = [match["lang"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts)


def _choice(value, allowed: tuple, field: str):
    if value is not None and value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}", reason="validation_failed",
                               details=[{"field": field, "message": f"One of {', '.join(allowed)}"}])
    return value


def _slugs(values, field: str, limit: int, lower: bool = True) -> list[str]:
    """`values` stripped (and lower-cased), blanks and repeats dropped; at most `limit`."""
    cleaned = list(dict.fromkeys(str(v).strip().lower() if lower else str(v).strip() for v in values or ()
                                 if str(v).strip()))
    if len(cleaned) > limit:
        raise ValidationFailed(f"At most {limit} values", reason="validation_failed",
                               details=[{"field": field, "message": f"At most {limit} values"}])
    return cleaned


def clean_profile_changes(changes: dict, region: str | None = None) -> dict:
    """Validate and normalise a partial profile update (snake_case keys of USER_FIELDS and
    PROFILE_FIELDS; None clears a field): phone to E.164 (`region` reads national numbers),
    date of birth checked, language canonical, gender/theme/skin type from their lists, skin
    concerns de-duplicated lower-case slugs, location without empty keys. Returns the cleaned
    changes. Raises ValidationFailed (422: invalid_phone, invalid_date_of_birth,
    invalid_language, validation_failed)."""
    clean = {}
    for key, value in changes.items():
        if key in ("first_name", "last_name"):
            clean[key] = (value or "").strip()
        elif key == "phone":
            clean[key] = normalise_phone(value, region) if value else None
        elif key == "date_of_birth":
            clean[key] = check_date_of_birth(value).isoformat() if value else None
        elif key == "language":
            clean[key] = normalise_language(value) if value else None
        elif key == "gender":
            clean[key] = _choice(value, GENDERS, "gender")
        elif key == "theme":
            clean[key] = _choice(value, THEMES, "theme")
        elif key == "skin_type":
            clean[key] = _choice(value, SKIN_TYPES, "skinType")
        elif key == "skin_concerns":
            clean[key] = _slugs(value, "skinConcerns", 20) if value is not None else None
        elif key == "location":
            location = {k: v for k, v in (value or {}).items() if v not in (None, "", [])}
            clean[key] = location or None
        elif key == "is_onboarded":
            clean[key] = bool(value)
        else:
            raise ValidationFailed(f"Unknown profile field {key!r}", reason="validation_failed",
                                   details=[{"field": key, "message": "Unknown field"}])
    return clean


# --------------------------------------------------------------------------- reads

def profile_of(user_id: str) -> CustomerProfile | None:
    """The user's profile row, None before the first write."""
    return CustomerProfile.get_or_none(CustomerProfile.user == user_id)


def devices_of(user_id: str) -> list[dict]:
    """`[{"deviceId", "platform", "lastUsed"}]`, most recently used first (at most MAX_DEVICES)."""
    rows = (UserDevice.select().where(UserDevice.user == user_id)
            .order_by(UserDevice.last_used_at.desc(), UserDevice.id).limit(MAX_DEVICES))
    return [{"deviceId": d.device_id, "platform": d.platform, "lastUsed": isoformat(d.last_used_at)} for d in rows]


def profile_view(user: User, profile: CustomerProfile | None = None, with_devices: bool = True) -> dict:
    """The whole profile: id, email, firstName, lastName, phone (E.164 or null), role,
    dateOfBirth (ISO date), gender, language, theme, location {city, state, country,
    coordinates [lon, lat]}, skinType, skinConcerns [slug], avatarUrl, isVerified,
    isOnboarded, lastLogin, lastActiveAt, devices [{deviceId, platform, lastUsed}], createdAt.
    Unset values are null (skinConcerns: [])."""
    profile = profile if profile is not None else profile_of(user.id)
    view = {
        "id": user.id, "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
        "phone": user.phone or None, "role": user.role,
        "dateOfBirth": profile.date_of_birth if profile else None,
        "gender": profile.gender if profile else None,
        "language": profile.language if profile else None,
        "theme": profile.theme if profile else None,
        "location": profile.location if profile else None,
        "skinType": profile.skin_type if profile else None,
        "skinConcerns": (profile.skin_concerns or []) if profile else [],
        "avatarUrl": profile.avatar_url if profile else None,
        "isVerified": bool(user.is_verified), "isOnboarded": bool(profile and profile.is_onboarded),
        "lastLogin": isoformat(user.last_login_at),
        "lastActiveAt": isoformat(profile.last_active_at) if profile else None,
        "createdAt": isoformat(user.created_at),
    }
    if with_devices:
        view["devices"] = devices_of(user.id)
    return view


def get_profile(user: User) -> dict:
    """`profile_view` of the user as stored now."""
    return profile_view(User.get_by_id(user.id))


# --------------------------------------------------------------------------- writes

def upsert_profile(user_id: str, changes: dict) -> None:
    """Write `changes` (CustomerProfile field -> value) to the user's profile, creating it if
    missing. Call inside the caller's transaction."""
    values = dict(changes, updated_at=utcnow())
    fields = {getattr(CustomerProfile, k): v for k, v in values.items()}
    (CustomerProfile.insert(user=user_id, **values)
     .on_conflict(conflict_target=[CustomerProfile.user], update=fields).execute())


def update_profile(user: User, changes: dict) -> dict:
    """Apply a partial update (see `clean_profile_changes`; the keys sent change, None clears)
    to the account's names and phone and to the profile, in one transaction, and mark the
    customer active. A national phone number is read in the country of the profile's location.
    Returns `profile_view`. Raises ValidationFailed (422), Conflict (409 `phone_taken`: the
    number is another account's login phone)."""
    current = profile_of(user.id)
    location = changes.get("location") if "location" in changes else (current.location if current else None)
    clean = clean_profile_changes(changes, region=(location or {}).get("country"))
    now = utcnow()
    user_changes = {k: v for k, v in clean.items() if k in USER_FIELDS}
    if "phone" in user_changes:
        phone = user_changes.pop("phone")
        if phone != User.get_by_id(user.id).phone:  # a new number is unverified until an OTP proves it
            user_changes.update(phone_columns(phone))
    try:
        with atomic():
            if user_changes:
                User.update(**user_changes, updated_at=now).where(User.id == user.id).execute()
            upsert_profile(user.id, dict({k: v for k, v in clean.items() if k in PROFILE_FIELDS},
                                         last_active_at=now))
            loyalty.earn_for_profile(user.id)  # points once the profile is complete (key earn:profile:{id})
    except peewee.IntegrityError as error:
        if is_phone_conflict(error):
            raise phone_taken_error() from None
        raise
    return get_profile(user)


def record_activity(user_id: str) -> None:
    """Note that the user is active now: `lastActiveAt` moves forward at most every
    ACTIVITY_RESOLUTION (one conditional UPDATE; the profile is created if missing)."""
    now = utcnow()
    updated = (CustomerProfile.update(last_active_at=now)
               .where(CustomerProfile.user == user_id,
                      (CustomerProfile.last_active_at.is_null()) |
                      (CustomerProfile.last_active_at < now - ACTIVITY_RESOLUTION)).execute())
    if not updated and profile_of(user_id) is None:
        CustomerProfile.insert(user=user_id, last_active_at=now).on_conflict_ignore().execute()


def record_device(user_id: str, device_id: str, platform: str | None = None) -> None:
    """Note that the user signed in from `device_id` (1-100 characters, as the client names it)
    on `platform` (ios, android, web... up to 30 characters, stored lower-case): the
    (user, device) row is created or its platform and last use updated, only the MAX_DEVICES
    most recently used are kept, and the user is marked active. For the login view.
    Raises ValidationFailed (422 `invalid_device`)."""
    device_id = (device_id or "").strip()
    platform = (platform or "").strip().lower() or None
    if not 1 <= len(device_id) <= 100 or (platform and len(platform) > 30):
        raise ValidationFailed("A device id is 1-100 characters, a platform at most 30", reason="invalid_device",
                               details=[{"field": "deviceId", "message": "1-100 characters"}])
    now = utcnow()
    with atomic():
        (UserDevice.insert(user=user_id, device_id=device_id, platform=platform, last_used_at=now)
         .on_conflict(conflict_target=[UserDevice.user, UserDevice.device_id],
                      update={UserDevice.platform: platform, UserDevice.last_used_at: now}).execute())
        keep = (UserDevice.select(UserDevice.id).where(UserDevice.user == user_id)
                .order_by(UserDevice.last_used_at.desc(), UserDevice.id).limit(MAX_DEVICES))
        UserDevice.delete().where(UserDevice.user == user_id, UserDevice.id.not_in(keep)).execute()
        record_activity(user_id)


# --------------------------------------------------------------------------- preferences

def _stored_preferences(profile: CustomerProfile | None) -> dict:
    stored = dict(DEFAULT_PREFERENCES)
    stored.update({k: v for k, v in ((profile.preferences or {}) if profile else {}).items() if k in stored})
    return stored


def customer_preferences_view(user: User, notification_view: dict) -> dict:
    """The preferences resource: language, theme, notifications {email, sms, push, inApp},
    newsletter (the marketing category), orderNotifications (the orders category),
    categories [str], favoriteOccasions [str], priceRange {min, max} (minor units) or null,
    currency (display currency, ISO 4217) or null, updatedAt. `notification_view` is
    services.notifications.preferences_view(user) (emailNotifications, smsNotifications,
    inAppNotifications, categories, updatedAt)."""
    profile = profile_of(user.id)
    stored = _stored_preferences(profile)
    stamps = [s for s in (profile.updated_at if profile else None, notification_view.get("updatedAt")) if s]
    return {
        "language": profile.language if profile else None,
        "theme": profile.theme if profile else None,
        "notifications": {"email": notification_view["emailNotifications"],
                          "sms": notification_view["smsNotifications"], "push": bool(stored["push"]),
                          "inApp": notification_view["inAppNotifications"]},
        "newsletter": bool(notification_view["categories"].get("marketing")),
        "orderNotifications": bool(notification_view["categories"].get("orders")),
        "categories": list(stored["categories"]), "favoriteOccasions": list(stored["favoriteOccasions"]),
        "priceRange": stored["priceRange"], "currency": stored["currency"],
        "updatedAt": max(isoformat(s) for s in stamps) if stamps else None,
    }


def update_customer_preferences(user: User, changes: dict, write_notifications: Callable[[User, dict], dict]) -> None:
    """Apply a partial preferences update, in one transaction (read it back with `customer_preferences_view`). `changes` (snake_case keys, the
    keys sent change): language, theme, notifications {email, sms, push, in_app} (booleans,
    each optional), newsletter, order_notifications (booleans), categories and
    favorite_occasions (lists of strings, at most 50, de-duplicated; occasions lower-cased), price_range
    {min, max} (minor units, 0 <= min <= max) or None, currency (ISO 4217, one the shop knows)
    or None. `write_notifications` is services.notifications.update_preferences; it gets the
    email/sms/in_app switches and the marketing/orders categories and runs inside this
    transaction. Raises ValidationFailed (422: invalid_language, invalid_price_range,
    unknown_currency, validation_failed)."""
    profile_changes, preference_changes, notification_changes = {}, {}, {}
    if "language" in changes:
        profile_changes["language"] = normalise_language(changes["language"]) if changes["language"] else None
    if "theme" in changes:
        profile_changes["theme"] = _choice(changes["theme"], THEMES, "theme")
    switches = changes.get("notifications") or {}
    notification_changes.update({k: bool(switches[k]) for k in ("email", "sms", "in_app") if k in switches})
    if "push" in switches:
        preference_changes["push"] = bool(switches["push"])
    categories = {name: bool(changes[key]) for key, name in (("newsletter", "marketing"),
                                                             ("order_notifications", "orders")) if key in changes}
    if categories:
        notification_changes["categories"] = categories
    if "categories" in changes:  # category ids or slugs, as given (ids are case-sensitive)
        preference_changes["categories"] = _slugs(changes["categories"], "categories", 50, lower=False)
    if "favorite_occasions" in changes:
        preference_changes["favoriteOccasions"] = _slugs(changes["favorite_occasions"], "favoriteOccasions", 50)
    if "price_range" in changes:
        preference_changes["priceRange"] = _price_range(changes["price_range"])
    if "currency" in changes:
        preference_changes["currency"] = _currency(changes["currency"])
    with atomic():
        if preference_changes:
            profile = profile_of(user.id)
            merged = dict(profile.preferences or {}) if profile else {}
            merged.update(preference_changes)
            profile_changes["preferences"] = merged
        upsert_profile(user.id, dict(profile_changes, last_active_at=utcnow()))
        if notification_changes:
            write_notifications(user, notification_changes)


def _price_range(value: dict | None) -> dict | None:
    if value is None:
        return None
    low, high = value.get("min", 0), value.get("max")
    if high is None or low is None or low < 0 or high < low:
        raise ValidationFailed("priceRange needs 0 <= min <= max (minor units)", reason="invalid_price_range",
                               details=[{"field": "priceRange", "message": "0 <= min <= max, minor units"}])
    return {"min": int(low), "max": int(high)}


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.upper()
    if code not in config.CURRENCY_EXPONENTS:
        raise ValidationFailed(f"Unsupported currency {value!r}", reason="unknown_currency",
                               details=[{"field": "currency", "message": "One of "
                                                                         + ", ".join(sorted(config.CURRENCY_EXPONENTS))}])
    return code

