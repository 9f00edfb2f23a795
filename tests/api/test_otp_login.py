"""OTP phone login (issue 8, seed 002): numbers normalised to E.164, a 6-digit code texted by a
job through the notification system and stored nowhere, 5 minutes, 5 tries, one use, a resend
cooldown and hourly cap, sign-in creating a phone-first account on first use, and phone numbers
encrypted at rest with a unique keyed hash."""

import dataclasses
import datetime as dt
import threading

import pytest

import config
from models.db import database, utcnow
from models.jobs import Job
from models.notifications import Notification, OutboxMessage
from models.users import OtpChallenge, User
from services import customers
from services.customers import otp_login
from services.errors import AuthenticationFailed
from tests.factories import make_user, wait_tree

NUMBER = "+962791234567"


@pytest.fixture(autouse=True)
def no_cooldown(request, db, settings, monkeypatch):
    """Most tests send several codes to one number: no resend wait unless a test sets one
    (patched after the app, whose creation installs the test's settings)."""
    if "api" in request.fixturenames:
        request.getfixturevalue("app")
    monkeypatch.setattr(config, "_settings", dataclasses.replace(settings, otp_resend_seconds=0, otp_max_per_hour=50))


def unique_number(n: int) -> str:
    return f"+96279{n:07d}"


def send(api, phone, **extra):
    return api.post("/api/v1/auth/send-otp", {"phone": phone, **extra})


def texted_code(phone):
    """The code of the newest SMS to `phone`, as the console provider 'sent' it."""
    fanouts = [j for j in Job.select().where(Job.type == "event_fanout").order_by(Job.created_at)
               if j.payload["event"] == "account.otp"]
    wait_tree(fanouts[-1].id)
    message = (OutboxMessage.select().where(OutboxMessage.recipient == phone, OutboxMessage.channel == "sms")
               .order_by(OutboxMessage.created_at.desc()).first())
    assert message is not None, "no SMS sent"
    return message.body.split()[0], message


def age_challenges(minutes):
    """Move every challenge `minutes` into the past."""
    for challenge in list(OtpChallenge.select()):
        OtpChallenge.update(created_at=challenge.created_at - dt.timedelta(minutes=minutes)).where(
            OtpChallenge.id == challenge.id).execute()


def verify(api, phone, code, **extra):
    return api.post("/api/v1/auth/verify-otp", {"phone": phone, "code": code, **extra})


def sign_in(api, phone):
    status, body, _ = send(api, phone)
    assert status == 202, body
    code, _ = texted_code(phone)
    status, body, _ = verify(api, phone, code)
    assert status == 200, body
    return body["data"]


def test_a_first_code_creates_a_phone_first_account_and_signs_it_in(api):
    status, body, _ = send(api, "+962 79 123 4567")
    assert status == 202, body
    assert body["data"] == {"phone": "+9627******67", "expiresIn": 300, "resendIn": 0, "codeLength": 6}
    code, message = texted_code(NUMBER)
    assert len(code) == 6 and code.isdigit() and "expires in 5 minutes" in message.body
    status, body, _ = verify(api, NUMBER, code, deviceId="pixel-8", platform="android")
    assert status == 200, body
    data = body["data"]
    assert data["newUser"] is True and data["accessToken"] and data["sessionId"]
    assert data["user"]["email"] is None and data["user"]["phone"] == NUMBER
    user = User.get_by_id(data["user"]["id"])
    assert user.phone_verified_at is not None and user.role == "customer" and user.email is None
    status, me, _ = api.get("/api/v1/users/profile", token=data["accessToken"])
    assert status == 200 and me["data"]["phone"] == NUMBER and me["data"]["devices"][0]["deviceId"] == "pixel-8"

    again = sign_in(api, NUMBER)  # the next code signs the same account in
    assert again["newUser"] is False and again["user"]["id"] == user.id
    assert User.select().where(User.phone_hash.is_null(False)).count() == 1


def test_the_code_is_in_no_database_row_and_the_phone_is_encrypted(api):
    phone = unique_number(1)
    send(api, phone)
    code, _ = texted_code(phone)
    challenge = OtpChallenge.get()
    assert code not in challenge.code_hash and otp_login.code_for(challenge.id) == code
    notification = Notification.get(Notification.event == "account.otp")
    assert notification.channel == "sms" and notification.recipient == phone and notification.status == "logged"
    assert code not in notification.body and code not in str(notification.context) and notification.html is None
    assert all(code not in str(j.payload) + str(j.result) for j in Job.select())
    verify(api, phone, code)
    raw_user = database.execute_sql('SELECT phone, phone_hash FROM "user"').fetchone()
    raw_challenge = database.execute_sql("SELECT phone, phone_hash FROM otp_challenge").fetchone()
    for raw in (raw_user, raw_challenge):
        assert raw[0].startswith("v1:") and phone not in raw[0] and phone[1:] not in raw[0]
        assert len(raw[1]) == 64 and phone[1:] not in raw[1]


def test_a_code_works_once_and_five_wrong_tries_kill_it(api):
    phone = unique_number(2)
    send(api, phone)
    code, _ = texted_code(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        status, body, _ = verify(api, phone, wrong)
        assert status == 401 and body["error"]["reason"] == "invalid_otp"
    status, body, _ = verify(api, phone, code)  # the right code, too late
    assert status == 401 and body["error"]["reason"] == "invalid_otp"
    assert OtpChallenge.get().attempts == 5

    send(api, phone)
    code, _ = texted_code(phone)
    assert verify(api, phone, code)[0] == 200
    status, body, _ = verify(api, phone, code)
    assert status == 401 and body["error"]["reason"] == "invalid_otp"


def test_an_expired_or_superseded_code_is_refused(api):
    phone = unique_number(3)
    send(api, phone)
    first, _ = texted_code(phone)
    send(api, phone)
    second, _ = texted_code(phone)
    if first != second:  # the newest code is the one that counts
        assert verify(api, phone, first)[0] == 401
    OtpChallenge.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    status, body, _ = verify(api, phone, second)
    assert status == 401 and body["error"]["reason"] == "invalid_otp"


def test_resending_waits_for_the_cooldown_and_the_hourly_cap(api, settings, monkeypatch):
    monkeypatch.setattr(config, "_settings", dataclasses.replace(settings, otp_resend_seconds=60, otp_max_per_hour=3))
    phone = unique_number(4)
    assert send(api, phone)[0] == 202
    status, body, headers = send(api, phone)
    assert status == 429 and body["error"]["reason"] == "otp_cooldown" and 55 <= int(headers["Retry-After"]) <= 60
    assert send(api, unique_number(5))[0] == 202  # another number is not held up
    age_challenges(minutes=2)
    assert send(api, phone)[0] == 202
    age_challenges(minutes=2)
    assert send(api, phone)[0] == 202
    age_challenges(minutes=2)
    status, body, headers = send(api, phone)  # a fourth code within the hour
    assert status == 429 and body["error"]["reason"] == "otp_cooldown" and int(headers["Retry-After"]) > 60
    assert OtpChallenge.select().where(OtpChallenge.phone_hash.in_(
        customers.phone_identity.lookup_hashes(phone))).count() == 3


def test_bad_numbers_and_codes_get_422(api):
    for body in ({"phone": "12"}, {"phone": "+1 555"}, {"phone": "not a number"}, {"phone": "0791234567"},
                 {"phone": "0791234567", "region": "jordan"}):
        status, answer, _ = api.post("/api/v1/auth/send-otp", body)
        assert status == 422, (body, answer)
    assert send(api, "0791234567", region="JO")[0] == 202  # a national number in its country
    for code in ("12345", "1234567", "abcdef", ""):
        status, _, _ = verify(api, NUMBER, code)
        assert status == 422, code
    assert api.post("/api/v1/auth/verify-otp", {"phone": NUMBER})[0] == 422


def test_an_existing_account_signs_in_by_its_phone_and_mfa_still_applies(api):
    status, body, _ = api.post("/api/v1/auth/register", {"email": "otp-existing@example.com",
                                                        "password": "correct-horse-9", "phone": "+962 79 765 4321"})
    assert status == 201, body
    assert body["data"]["user"]["phone"] == "+962797654321"
    data = sign_in(api, "+962797654321")
    assert data["newUser"] is False and data["user"]["email"] == "otp-existing@example.com"

    user = User.get_by_id(data["user"]["id"])
    customers.start_mfa_setup(user)
    from models.users import MfaFactor
    MfaFactor.update(confirmed_at=utcnow()).where(MfaFactor.user == user.id).execute()
    data = sign_in(api, "+962797654321")
    assert data["mfaRequired"] is True and data["challengeToken"] and "accessToken" not in data


def test_a_disabled_account_cannot_sign_in_by_code(api):
    data = sign_in(api, unique_number(6))
    User.update(is_active=False).where(User.id == data["user"]["id"]).execute()
    send(api, unique_number(6))
    code, _ = texted_code(unique_number(6))
    status, body, _ = verify(api, unique_number(6), code)
    assert status == 401 and body["error"]["reason"] == "account_disabled"


def test_a_phone_belongs_to_one_account(api):
    owner = sign_in(api, unique_number(7))
    status, body, _ = api.post("/api/v1/auth/register", {"email": "otp-taken@example.com",
                                                        "password": "correct-horse-9", "phone": unique_number(7)})
    assert status == 409 and body["error"]["reason"] == "phone_taken"
    other = make_user()
    token = api.post("/api/v1/auth/login", {"email": other.email, "password": "correct-horse-9"})[1]["data"]
    status, body, _ = api.put("/api/v1/users/profile", {"phone": unique_number(7)}, token=token["accessToken"])
    assert status == 409 and body["error"]["reason"] == "phone_taken"
    status, body, _ = api.put("/api/v1/users/profile", {"phone": unique_number(8)}, token=token["accessToken"])
    assert status == 200 and body["data"]["phone"] == unique_number(8)
    assert User.get_by_id(other.id).phone_verified_at is None  # a typed number is not verified
    assert User.get_by_id(owner["user"]["id"]).phone == unique_number(7)


def test_a_phone_first_account_has_no_password_and_no_email_to_confirm(api):
    data = sign_in(api, unique_number(9))
    status, body, _ = api.post("/api/v1/auth/verify-email/resend", token=data["accessToken"])
    assert status == 422 and body["error"]["reason"] == "no_email"
    assert User.get_by_id(data["user"]["id"]).password_hash == "!"


def test_concurrent_checks_of_the_right_code_sign_in_once(db):
    phone = unique_number(10)
    customers.send_otp(phone)
    code = otp_login.code_for(OtpChallenge.get().id)
    outcomes = []

    def check():
        try:
            with database.connection_context():
                outcomes.append(customers.verify_otp(phone, code)[0].id)
        except AuthenticationFailed as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str).count("invalid_otp") == 5 and len(set(outcomes)) == 2
    assert User.select().where(User.phone_hash.is_null(False)).count() == 1


def test_a_phone_first_account_erases_itself_with_a_fresh_code(api):
    phone = unique_number(11)
    data = sign_in(api, phone)
    token = data["accessToken"]
    status, body, _ = api.delete("/api/v1/users/me", json={}, token=token)
    assert status == 422 and body["error"]["reason"] == "otp_code_required", body
    status, body, _ = api.delete("/api/v1/users/me", json={"otpCode": "000000"}, token=token)
    assert status == 401 and body["error"]["reason"] == "invalid_otp"
    send(api, phone)
    code, _ = texted_code(phone)
    status, body, _ = api.delete("/api/v1/users/me", json={"otpCode": code}, token=token, headers={"Prefer": "wait=10"})
    assert status in (200, 202), body
    erased = wait_tree(body["data"]["id"])[0]
    assert erased.state == "succeeded", (erased.state, erased.error, erased.result)
    user = User.get_by_id(data["user"]["id"])
    assert not user.is_active and user.phone is None and user.phone_hash is None
    assert OtpChallenge.select().count() == 0
    send(api, phone)  # the number is free: a new code makes a new account
    code, _ = texted_code(phone)
    status, body, _ = verify(api, phone, code)
    assert status == 200 and body["data"]["newUser"] is True and body["data"]["user"]["id"] != user.id
