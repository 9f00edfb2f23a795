"""My profile and preferences over HTTP (seed 002 `GET/PUT /users/profile`, `GET/PUT
/users/preferences`; seed 001 preferences and deviceInfo): the whole profile answered, partial
updates validated and normalised (E.164 phones, dates of birth, BCP 47 languages), personal
fields encrypted at rest, devices recorded, and the preferences' notification switches the
same rows as /users/me/notification-preferences."""

from __future__ import annotations

import datetime as dt

import pytest

from models.db import database, utcnow
from models.users import User
from services import customers
from tests.factories import assert_error, quick_user, token_for

PROFILE = "/api/v1/users/profile"
PREFERENCES = "/api/v1/users/preferences"
NOTIFICATIONS = "/api/v1/users/me/notification-preferences"
PROFILE_KEYS = {"id", "email", "firstName", "lastName", "phone", "role", "dateOfBirth", "gender", "language",
                "theme", "location", "skinType", "skinConcerns", "avatarUrl", "isVerified", "isOnboarded",
                "lastLogin", "lastActiveAt", "devices", "createdAt"}




def years_ago(years: int, days: int = 0) -> str:
    today = utcnow().date()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return (day + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("method, path", [("GET", PROFILE), ("PUT", PROFILE), ("GET", PREFERENCES),
                                          ("PUT", PREFERENCES)])
def test_the_profile_and_preferences_need_a_signed_in_customer(api, method, path):
    status, body, _ = api.call(method, path, json={} if method == "PUT" else None)
    assert_error(status, body, 401, "authentication_required")


def test_a_new_account_has_the_whole_profile_with_defaults(api, user, token):
    status, body, _ = api.get(PROFILE, token=token)
    assert status == 200, body
    profile = body["data"]
    assert set(profile) == PROFILE_KEYS
    assert profile["id"] == user.id and profile["email"] == user.email and profile["role"] == "customer"
    assert profile["skinConcerns"] == [] and profile["devices"] == [] and profile["isOnboarded"] is False
    assert profile["dateOfBirth"] is None and profile["avatarUrl"] is None and profile["lastLogin"] is None


def test_a_partial_update_changes_only_what_was_sent_and_answers_the_whole_profile(api, user, token):
    status, body, _ = api.put(PROFILE, {"firstName": "Layla", "phone": "+1 (415) 555-2671",
                                        "dateOfBirth": "1990-01-15", "gender": "female", "language": "pt-br",
                                        "theme": "dark", "skinType": "combination",
                                        "skinConcerns": ["Acne", "dark-spots", "acne"],
                                        "location": {"city": "Amman", "country": "JO",
                                                     "coordinates": [35.93, 31.95]},
                                        "isOnboarded": True}, token=token)
    assert status == 200, body
    profile = body["data"]
    assert set(profile) == PROFILE_KEYS
    assert profile["firstName"] == "Layla" and profile["lastName"] == ""  # lastName not sent: unchanged
    assert profile["phone"] == "+14155552671"  # E.164
    assert profile["dateOfBirth"] == "1990-01-15" and profile["gender"] == "female"
    assert profile["language"] == "pt-BR" and profile["theme"] == "dark" and profile["isOnboarded"] is True
    assert profile["skinType"] == "combination" and profile["skinConcerns"] == ["acne", "dark-spots"]
    assert profile["location"] == {"city": "Amman", "country": "JO", "coordinates": [35.93, 31.95]}
    assert profile["lastActiveAt"] is not None
    assert User.get_by_id(user.id).phone == "+14155552671"

    status, body, _ = api.put(PROFILE, {"theme": "light"}, token=token)
    assert status == 200 and body["data"]["theme"] == "light" and body["data"]["dateOfBirth"] == "1990-01-15"
    assert api.get(PROFILE, token=token)[1]["data"] == {**profile, "theme": "light",
                                                         "lastActiveAt": body["data"]["lastActiveAt"]}


def test_null_clears_a_field(api, token):
    api.put(PROFILE, {"phone": "+14155552671", "dateOfBirth": "1990-01-15", "skinType": "dry"}, token=token)
    status, body, _ = api.put(PROFILE, {"phone": None, "dateOfBirth": None, "skinType": None}, token=token)
    assert status == 200, body
    assert (body["data"]["phone"], body["data"]["dateOfBirth"], body["data"]["skinType"]) == (None, None, None)


def test_a_national_number_is_read_in_the_country_of_the_location(api, token):
    status, body, _ = api.put(PROFILE, {"location": {"country": "JO"}, "phone": "079 123 4567"}, token=token)
    assert status == 200 and body["data"]["phone"] == "+962791234567", body


@pytest.mark.parametrize("phone", ["+1234567890", "12345", "not a phone", "0791234567"])
def test_an_invalid_phone_number_is_422_and_changes_nothing(api, user, token, phone):
    status, body, _ = api.put(PROFILE, {"phone": phone, "firstName": "Changed"}, token=token)
    assert_error(status, body, 422)
    if body["error"].get("reason"):
        assert body["error"]["reason"] == "invalid_phone"
    assert User.get_by_id(user.id).first_name == "Test" and User.get_by_id(user.id).phone is None


@pytest.mark.parametrize("birth, ok", [
    (years_ago(30), True), (years_ago(13), True), (years_ago(13, days=1), False), (years_ago(-1), False),
    ("1850-06-01", False), ("1990-02-30", False), ("15/01/1990", False),
])
def test_a_date_of_birth_is_a_past_iso_date_of_someone_at_least_13(api, token, birth, ok):
    status, body, _ = api.put(PROFILE, {"dateOfBirth": birth}, token=token)
    if ok:
        assert status == 200 and body["data"]["dateOfBirth"] == birth, body
    else:
        assert_error(status, body, 422)


@pytest.mark.parametrize("change", [
    {"gender": "unknown"}, {"theme": "blue"}, {"skinType": "greasy"}, {"language": "english"},
    {"language": "e"}, {"location": {"country": "jordan"}}, {"location": {"coordinates": [200, 0]}},
    {"location": {"coordinates": [1]}}, {"location": {"coordinates": [{}, 0]}}, {"location": {"street": "x"}},
    {"skinConcerns": ["a" * 41]},
    {"skinConcerns": [f"c{i}" for i in range(21)]}, {"isOnboarded": "yes"}, {"firstName": "x" * 101},
    {"email": "new@example.com"}, {"role": "admin"}, {"avatarUrl": "/x.png"},
])
def test_bad_profile_values_are_422_in_the_envelope(api, user, token, change):
    status, body, _ = api.put(PROFILE, change, token=token)
    assert_error(status, body, 422)
    assert User.get_by_id(user.id).email == user.email and User.get_by_id(user.id).role == "customer"


def test_personal_profile_fields_are_encrypted_in_the_database(api, user, token):
    api.put(PROFILE, {"theme": "dark"}, token=token)  # the profile row exists: the next write updates it
    api.put(PROFILE, {"dateOfBirth": "1990-01-15", "skinType": "sensitive", "skinConcerns": ["rosacea"],
                      "location": {"city": "Irbid"}}, token=token)
    row = database.execute_sql(f"SELECT date_of_birth, skin_type, skin_concerns, location FROM customer_profile "
                               f"WHERE user_id = {database.param}", (user.id,)).fetchone()
    for value, plaintext in zip(row, ("1990", "sensitive", "rosacea", "Irbid")):
        assert value.startswith("v1:") and plaintext not in value


def test_another_customers_update_does_not_touch_mine(api, user, token):
    other = quick_user()
    api.put(PROFILE, {"firstName": "Mine", "skinType": "dry"}, token=token)
    api.put(PROFILE, {"firstName": "Theirs", "skinType": "oily"}, token=token_for(other))
    mine = api.get(PROFILE, token=token)[1]["data"]
    assert (mine["firstName"], mine["skinType"]) == ("Mine", "dry")


def test_devices_and_last_login_show_in_the_profile(api, user, token):
    User.update(last_login_at=dt.datetime(2025, 1, 15, 10, 0)).where(User.id == user.id).execute()
    customers.record_device(user.id, "iphone-1", "iOS")
    customers.record_device(user.id, "browser-9", "web")
    customers.record_device(user.id, "iphone-1", "ios")  # again: the same row, used later
    profile = api.get(PROFILE, token=token)[1]["data"]
    assert profile["lastLogin"] == "2025-01-15T10:00:00.000Z"
    assert [(d["deviceId"], d["platform"]) for d in profile["devices"]] == [("iphone-1", "ios"), ("browser-9", "web")]
    assert all(d["lastUsed"] for d in profile["devices"]) and profile["lastActiveAt"] is not None


def test_only_the_most_recently_used_devices_are_kept(db, user):
    for i in range(20):  # services.customers.profiles.MAX_DEVICES
        customers.record_device(user.id, f"device-{i}", "android")
    customers.record_device(user.id, "newest", "android")
    devices = customers.profile_view(user)["devices"]
    assert len(devices) == 20 and devices[0]["deviceId"] == "newest"
    assert "device-0" not in {d["deviceId"] for d in devices}
    from models.profiles import UserDevice

    assert UserDevice.select().where(UserDevice.user == user.id).count() == 20


@pytest.mark.parametrize("device_id, platform", [("", "ios"), ("x" * 101, "ios"), ("ok", "p" * 31)])
def test_a_bad_device_is_refused(db, user, device_id, platform):
    from services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        customers.record_device(user.id, device_id, platform)
    assert caught.value.reason == "invalid_device"


# --------------------------------------------------------------------------- preferences

PREFERENCE_KEYS = {"language", "theme", "notifications", "newsletter", "orderNotifications", "categories",
                   "favoriteOccasions", "priceRange", "currency", "updatedAt"}


def test_preferences_start_from_the_notification_defaults(api, token):
    status, body, _ = api.get(PREFERENCES, token=token)
    assert status == 200, body
    prefs = body["data"]
    assert set(prefs) == PREFERENCE_KEYS
    assert prefs["notifications"] == {"email": True, "sms": False, "push": True, "inApp": True}
    assert prefs["newsletter"] is False and prefs["orderNotifications"] is True
    assert prefs["categories"] == [] and prefs["favoriteOccasions"] == [] and prefs["priceRange"] is None


def test_updating_preferences_writes_the_notification_preferences_too(api, token):
    status, body, _ = api.put(PREFERENCES, {
        "language": "ar", "theme": "system", "notifications": {"email": False, "sms": True, "push": False},
        "newsletter": True, "orderNotifications": False, "categories": ["cat_Ro5es", "cheese", "cat_Ro5es"],
        "favoriteOccasions": ["Birthday", "anniversary"], "priceRange": {"min": 5000, "max": 20000},
        "currency": "jod"}, token=token)
    assert status == 200, body
    prefs = body["data"]
    assert prefs["notifications"] == {"email": False, "sms": True, "push": False, "inApp": True}
    assert prefs["newsletter"] is True and prefs["orderNotifications"] is False
    assert prefs["language"] == "ar" and prefs["theme"] == "system" and prefs["currency"] == "JOD"
    assert prefs["categories"] == ["cat_Ro5es", "cheese"] and prefs["favoriteOccasions"] == ["birthday", "anniversary"]
    assert prefs["priceRange"] == {"min": 5000, "max": 20000}
    notifications = api.get(NOTIFICATIONS, token=token)[1]["data"]
    assert (notifications["emailNotifications"], notifications["smsNotifications"],
            notifications["inAppNotifications"]) == (False, True, True)
    assert notifications["categories"]["marketing"] is True and notifications["categories"]["orders"] is False
    assert api.get(PROFILE, token=token)[1]["data"]["language"] == "ar"  # the profile's language, one value


def test_the_notification_preferences_route_and_the_preferences_agree(api, token):
    status, _, _ = api.put(NOTIFICATIONS, {"smsNotifications": True, "inAppNotifications": False,
                                           "categories": {"marketing": True}}, token=token)
    assert status == 200
    prefs = api.get(PREFERENCES, token=token)[1]["data"]
    assert prefs["notifications"]["sms"] is True and prefs["notifications"]["inApp"] is False
    assert prefs["newsletter"] is True


def test_a_partial_preferences_update_keeps_the_rest(api, token):
    api.put(PREFERENCES, {"categories": ["a"], "priceRange": {"min": 1, "max": 2}, "notifications": {"push": False}},
            token=token)
    status, body, _ = api.put(PREFERENCES, {"favoriteOccasions": ["wedding"]}, token=token)
    assert status == 200, body
    prefs = body["data"]
    assert prefs["categories"] == ["a"] and prefs["priceRange"] == {"min": 1, "max": 2}
    assert prefs["notifications"]["push"] is False and prefs["favoriteOccasions"] == ["wedding"]
    status, body, _ = api.put(PREFERENCES, {"priceRange": None}, token=token)
    assert body["data"]["priceRange"] is None


@pytest.mark.parametrize("change, reason", [
    ({"priceRange": {"min": 300, "max": 100}}, "invalid_price_range"),
    ({"priceRange": {"min": -1, "max": 100}}, None),
    ({"priceRange": {"min": 1.5, "max": 100}}, None),
    ({"priceRange": {"min": 1}}, None),
    ({"currency": "XYZ"}, "unknown_currency"),
    ({"currency": "dollars"}, None),
    ({"language": "klingon-language"}, None),
    ({"theme": "neon"}, None),
    ({"notifications": {"fax": True}}, None),
    ({"notifications": {"email": "no"}}, None),
    ({"categories": ["x"] * 51}, None),
    ({"categories": [""]}, None),
    ({"favoriteOccasions": "birthday"}, None),
    ({"newsletter": 1}, None),
])
def test_bad_preferences_are_422_and_change_nothing(api, token, change, reason):
    status, body, _ = api.put(PREFERENCES, dict(change, notifications=change.get("notifications", {"email": False})),
                              token=token)
    assert_error(status, body, 422, reason)
    assert api.get(NOTIFICATIONS, token=token)[1]["data"]["emailNotifications"] is True  # not half-applied
