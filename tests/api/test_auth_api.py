"""Auth over HTTP: register, login, me, refresh rotation with reuse detection, logout, roles."""

import datetime as dt

import jwt

import config
from models.db import new_id
from tests.factories import make_user, token_for


def register(api, email="ada@example.com", password="correct-horse-9"):
    return api.post("/api/v1/auth/register", {"email": email, "password": password, "firstName": "Ada",
                                              "lastName": "Lovelace"})


def test_register_login_and_me(api):
    status, body, _ = register(api)
    assert status == 201
    tokens = body["data"]
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 900
    assert tokens["user"]["role"] == "customer"
    status, body, _ = api.get("/api/v1/auth/me", token=tokens["accessToken"])
    assert status == 200 and body["data"]["email"] == "ada@example.com"
    status, body, _ = api.post("/api/v1/auth/login", {"email": "ADA@example.com", "password": "correct-horse-9"})
    assert status == 200 and body["data"]["accessToken"]


def test_passwords_are_stored_as_argon2id(api):
    from models.users import User

    register(api)
    assert User.get(User.email == "ada@example.com").password_hash.startswith("$argon2id$")


def test_duplicate_registration_and_bad_credentials_are_refused(api):
    register(api)
    status, body, _ = register(api)
    assert status == 409 and body["error"]["code"] == "CONFLICT"
    status, body, _ = api.post("/api/v1/auth/login", {"email": "ada@example.com", "password": "wrong-password"})
    assert status == 401 and body["error"]["code"] == "AUTHENTICATION_ERROR"
    status, body, _ = api.post("/api/v1/auth/login", {"email": f"nobody-{new_id('n')[-8:]}@example.com",
                                                      "password": "wrong-password"})
    assert status == 401 and body["error"]["message"] == "Invalid email or password"


def test_register_validates_input(api):
    status, body, _ = api.post("/api/v1/auth/register", {"email": "not-an-email", "password": "short"})
    assert status == 422
    fields = {d["field"] for d in body["error"]["details"]}
    assert {"email", "password"} <= fields


def test_refresh_rotates_and_reuse_revokes_the_family(api):
    _, body, _ = register(api)
    first = body["data"]["refreshToken"]
    status, body, _ = api.post("/api/v1/auth/refresh", {"refreshToken": first})
    assert status == 200
    second = body["data"]["refreshToken"]
    assert second != first
    status, body, _ = api.post("/api/v1/auth/refresh", {"refreshToken": first})  # replayed: theft signal
    assert status == 401 and body["error"]["reason"] == "refresh_token_reused"
    status, body, _ = api.post("/api/v1/auth/refresh", {"refreshToken": second})  # family revoked
    assert status == 401


def test_logout_revokes_the_refresh_token(api):
    _, body, _ = register(api)
    refresh = body["data"]["refreshToken"]
    assert api.post("/api/v1/auth/logout", {"refreshToken": refresh})[0] == 200
    assert api.post("/api/v1/auth/refresh", {"refreshToken": refresh})[0] == 401


def test_tampered_expired_wrong_audience_and_unsigned_tokens_are_rejected(api):
    user = make_user()
    settings = config.get()
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": user.id, "role": "admin", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": now, "exp": now + dt.timedelta(minutes=5)}
    expired = jwt.encode(dict(claims, exp=now - dt.timedelta(seconds=1)), settings.secret_key, algorithm="HS256")
    wrong_aud = jwt.encode(dict(claims, aud="someone-else"), settings.secret_key, algorithm="HS256")
    wrong_key = jwt.encode(claims, "another-secret-key-0123456789-0123456789", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (expired, wrong_aud, wrong_key, unsigned, "garbage"):
        status, body, _ = api.get("/api/v1/auth/me", token=token)
        assert status == 401 and body["error"]["code"] == "AUTHENTICATION_ERROR", token
    status, _, _ = api.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert status == 401


def test_admin_routes_answer_403_to_customers(api):
    customer = make_user()
    status, body, _ = api.get("/api/v1/admin/jobs/failed", token=token_for(customer))
    assert status == 403 and body["error"]["code"] == "AUTHORIZATION_ERROR"
    status, body, _ = api.put("/api/v1/orders/ord_x/status", {"status": "shipped"}, token=token_for(customer))
    assert status == 403
