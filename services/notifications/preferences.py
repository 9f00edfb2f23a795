"""Notification preferences: the saved per-user channel and category switches, their
defaults, and `channels_for`, which picks the channels a user gets for a message.

Channels. An event has a category and the channels it may use (`EVENTS`). A
registered user gets a channel when the event uses it, the user's switch for
the channel is on, the user's switch for the category is on, and the channel
has an address (SMS needs `User.phone`). Defaults (no saved preferences):
email on, in-app on, SMS off (SMS is opt-in: it costs money and needs
consent); every category on except `marketing` (opt-in). Guests get email only.
"""

from __future__ import annotations

import re

from models.db import atomic, isoformat, utcnow
from models.notifications import NotificationPreference
from models.users import User
from services.errors import ValidationFailed

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

CATEGORIES = ("orders", "wishlist", "loyalty", "cart", "stock", "announcements", "marketing")
DEFAULT_CATEGORIES = {"orders": True, "wishlist": True, "loyalty": True, "cart": True, "stock": True,
                      "announcements": True, "marketing": False}
DEFAULT_CHANNELS = {"email": True, "sms": False, "in_app": True}


def _preference_row(user_id: str) -> NotificationPreference | None:
    return NotificationPreference.get_or_none(NotificationPreference.user == user_id)


def preferences_of(user_id: str, row: NotificationPreference | None = None) -> dict:
    """Effective preferences: `{"channels": {"email", "sms", "in_app"}, "categories": {name: bool}}`."""
    row = row if row is not None else _preference_row(user_id)
    if row is None:
        return {"channels": dict(DEFAULT_CHANNELS), "categories": dict(DEFAULT_CATEGORIES)}
    categories = dict(DEFAULT_CATEGORIES)
    categories.update({k: bool(v) for k, v in (row.categories or {}).items() if k in DEFAULT_CATEGORIES})
    return {"channels": {"email": row.email, "sms": row.sms, "in_app": row.in_app}, "categories": categories}


def preferences_view(user: User) -> dict:
    """The preferences resource (seed 001 names): emailNotifications, smsNotifications,
    inAppNotifications, categories {orders, wishlist, loyalty, cart, stock, announcements,
    marketing}, phone (whether SMS can reach the user), updatedAt (null until first saved)."""
    row = _preference_row(user.id)
    prefs = preferences_of(user.id, row)
    return {"emailNotifications": prefs["channels"]["email"], "smsNotifications": prefs["channels"]["sms"],
            "inAppNotifications": prefs["channels"]["in_app"], "categories": prefs["categories"],
            "smsReachable": bool(user.phone), "updatedAt": isoformat(row.updated_at) if row else None}


def update_preferences(user: User, changes: dict) -> dict:
    """Apply a partial update: keys `email`, `sms`, `in_app` (booleans) and `categories`
    ({name: bool}, merged into the saved ones). Returns `preferences_view`.
    Raises ValidationFailed (422) for an unknown category."""
    categories = changes.get("categories") or {}
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise ValidationFailed("Unknown notification category", reason="unknown_category",
                               details=[{"field": f"categories.{name}", "message": f"One of {', '.join(CATEGORIES)}"}
                                        for name in unknown])
    with atomic():
        row = _preference_row(user.id)
        current = preferences_of(user.id, row)
        merged_categories = dict(row.categories or {}) if row else {}
        merged_categories.update({k: bool(v) for k, v in categories.items()})
        values = {
            "email": changes.get("email", current["channels"]["email"]),
            "sms": changes.get("sms", current["channels"]["sms"]),
            "in_app": changes.get("in_app", current["channels"]["in_app"]),
            "categories": merged_categories, "updated_at": utcnow(),
        }
        (NotificationPreference.insert(user=user.id, **values)
         .on_conflict(conflict_target=[NotificationPreference.user], update=values).execute())
    return preferences_view(user)


def channels_for(user: User, spec_channels: tuple, category: str, prefs: dict | None = None,
                 respect_categories: bool = True) -> list[str]:
    """The channels `user` gets for a message of `category` that may use `spec_channels`:
    the channel's switch on, the category's switch on (unless `respect_categories` is
    False), and an address for it (SMS needs a phone number)."""
    prefs = prefs or preferences_of(user.id)
    if respect_categories and not prefs["categories"].get(category, DEFAULT_CATEGORIES.get(category, True)):
        return []
    chosen = []
    for channel in spec_channels:
        if not prefs["channels"].get(channel):
            continue
        if channel == "sms" and not (user.phone and E164.match(user.phone.replace(" ", ""))):
            continue
        chosen.append(channel)
    return chosen
