"""MFA with TOTP (issue 8): enrolment with a QR code and recovery codes, sign-in through a
short-lived challenge, codes never accepted twice, disabling, and roles required to use it."""

import base64
import dataclasses
import datetime as dt

import pyotp
import pytest

import config
from models.db import database
from models.users import MfaFactor
from tests.factories import make_user

PASSWORD = "correct-horse-9"


def login(api, user):
    status, body, _ = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert status == 200, body
    return body["data"]


def code_at(secret, seconds_from_now=0):
    return pyotp.TOTP(secret).at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds_from_now))


def enrol(api, user):
    token = login(api, user)["accessToken"]
    status, body, _ = api.post("/api/v1/auth/mfa/setup", token=token)
    assert status == 200, body
    setup = body["data"]
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"code": code_at(setup["secret"])}, token=token)
    assert status == 200 and body["data"]["enabled"] is True, body
    return setup, body["data"]["recoveryCodes"], token


def test_enrolment_gives_a_qr_code_and_ten_recovery_codes_and_stores_the_secret_encrypted(api):
    user = make_user()
    setup, recovery, _ = enrol(api, user)
    assert setup["otpauthUri"].startswith("otpauth://totp/Cartwheel:") and setup["secret"] in setup["otpauthUri"]
    png = base64.b64decode(setup["qrCode"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG")
    assert len(recovery) == 10 and len(set(recovery)) == 10
    raw = database.execute_sql("SELECT secret, recovery_codes FROM mfa_factor").fetchone()
    assert setup["secret"] not in raw[0] and raw[0].startswith("v1:")
    assert not any(code in raw[1] for code in recovery)


def test_a_sign_in_with_mfa_needs_the_code_and_a_code_works_once(api):
    user = make_user()
    setup, _, _ = enrol(api, user)
    first = login(api, user)
    assert first["mfaRequired"] is True and "accessToken" not in first
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"challengeToken": first["challengeToken"], "code": "000000"})
    assert status == 401 and body["error"]["reason"] == "invalid_mfa_code"
    code = code_at(setup["secret"], 30)  # the next step: the enrolment used this one
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"challengeToken": first["challengeToken"], "code": code})
    assert status == 200 and body["data"]["accessToken"] and body["data"]["sessionId"], body
    assert api.get("/api/v1/auth/me", token=body["data"]["accessToken"])[0] == 200
    again = login(api, user)
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"challengeToken": again["challengeToken"], "code": code})
    assert status == 401 and body["error"]["reason"] == "invalid_mfa_code"  # replay of an accepted code
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"challengeToken": "not-a-token", "code": code})
    assert status == 401 and body["error"]["reason"] == "invalid_mfa_challenge"


def test_a_recovery_code_signs_in_once(api):
    user = make_user()
    _, recovery, _ = enrol(api, user)
    challenge = login(api, user)["challengeToken"]
    assert api.post("/api/v1/auth/mfa/verify", {"challengeToken": challenge, "code": recovery[0]})[0] == 200
    challenge = login(api, user)["challengeToken"]
    assert api.post("/api/v1/auth/mfa/verify", {"challengeToken": challenge, "code": recovery[0]})[0] == 401
    assert len(MfaFactor.get_by_id(user.id).recovery_codes) == 9


def test_disabling_needs_the_password_and_a_code(api):
    user = make_user()
    setup, recovery, token = enrol(api, user)
    path = "/api/v1/auth/mfa/disable"
    status, body, _ = api.post(path, {"password": "wrong-Password-77", "code": recovery[1]}, token=token)
    assert status == 401 and body["error"]["reason"] == "invalid_credentials"
    assert api.post(path, {"password": PASSWORD, "code": "123456"}, token=token)[0] == 401
    assert api.post(path, {"password": PASSWORD, "code": recovery[1]}, token=token)[0] == 200
    assert "accessToken" in login(api, user)
    assert api.post(path, {"password": PASSWORD, "code": recovery[2]}, token=token)[0] == 404
    assert api.post(path, {"password": PASSWORD, "code": recovery[2]})[0] == 401


def test_setup_twice_and_verifying_without_setup_are_refused(api):
    user = make_user()
    token = login(api, user)["accessToken"]
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"code": "123456"}, token=token)
    assert status == 404 and body["error"]["reason"] == "mfa_not_started"
    assert api.post("/api/v1/auth/mfa/verify", {"code": "123456"})[0] == 401
    setup = api.post("/api/v1/auth/mfa/setup", token=token)[1]["data"]
    assert api.post("/api/v1/auth/mfa/verify", {"code": "12345"}, token=token)[0] == 422
    api.post("/api/v1/auth/mfa/verify", {"code": code_at(setup["secret"])}, token=token)
    status, body, _ = api.post("/api/v1/auth/mfa/setup", token=token)
    assert status == 409 and body["error"]["reason"] == "mfa_already_enabled"


@pytest.fixture()
def staff_must_use_mfa(app, settings):
    config.override(dataclasses.replace(settings, mfa_required_roles=("staff", "admin")))
    yield
    config.override(settings)


def test_a_role_required_to_use_mfa_is_refused_staff_routes_until_it_does(api, staff_must_use_mfa):
    staff = make_user(role="staff")
    token = login(api, staff)["accessToken"]
    status, body, _ = api.get("/api/v1/notifications/templates", token=token)
    assert status == 403 and body["error"]["reason"] == "mfa_required"
    setup, _, _ = enrol(api, staff)
    challenge = login(api, staff)["challengeToken"]
    tokens = api.post("/api/v1/auth/mfa/verify", {"challengeToken": challenge,
                                                  "code": code_at(setup["secret"], 30)})[1]["data"]
    assert api.get("/api/v1/notifications/templates", token=tokens["accessToken"])[0] == 200
