"""Sessions (issue 8): one per sign-in, listed and revocable; logout, revocation and refresh-token
reuse make that session's access tokens fail at once; `POST /auth/verify` checks a token."""

from models.users import AuthSession, User
from tests.factories import make_user

PASSWORD = "correct-horse-9"


def login(api, user, **extra):
    status, body, _ = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD, **extra})
    assert status == 200, body
    return body["data"]


def me(api, token):
    return api.get("/api/v1/auth/me", token=token)


def test_each_sign_in_is_a_session_listed_with_the_current_one_marked(api):
    user = make_user()
    phone = login(api, user, deviceId="iphone-15-abc", platform="ios")
    laptop = login(api, user)
    status, body, _ = api.get("/api/v1/auth/sessions", token=laptop["accessToken"])
    assert status == 200
    assert {s["id"] for s in body["data"]} == {phone["sessionId"], laptop["sessionId"]}
    assert [s["current"] for s in body["data"] if s["id"] == laptop["sessionId"]] == [True]
    assert all(set(s) == {"id", "device", "ip", "createdAt", "lastSeenAt", "current"} for s in body["data"])
    listed = {s["id"]: s for s in body["data"]}
    assert listed[phone["sessionId"]]["device"]["deviceId"] == "iphone-15-abc"
    assert listed[phone["sessionId"]]["device"]["platform"] == "ios"
    assert listed[laptop["sessionId"]]["device"]["userAgent"]  # the test client's User-Agent
    assert listed[laptop["sessionId"]]["ip"] == "127.0.0.1"
    devices = api.get("/api/v1/users/profile", token=laptop["accessToken"])[1]["data"]["devices"]
    assert [(d["deviceId"], d["platform"]) for d in devices] == [("iphone-15-abc", "ios")]
    assert User.get_by_id(user.id).last_login_at is not None


def test_logout_ends_the_sessions_access_tokens_at_once(api):
    user = make_user()
    tokens = login(api, user)
    assert me(api, tokens["accessToken"])[0] == 200
    assert api.post("/api/v1/auth/logout", {"refreshToken": tokens["refreshToken"]})[0] == 200
    status, body, _ = me(api, tokens["accessToken"])
    assert status == 401 and body["error"]["reason"] == "session_revoked"
    assert AuthSession.get_by_id(tokens["sessionId"]).revoked_reason == "logout"


def test_revoking_one_session_signs_it_out_and_leaves_the_others(api):
    user = make_user()
    stolen, mine = login(api, user), login(api, user)
    status, _, _ = api.delete(f"/api/v1/auth/sessions/{stolen['sessionId']}", token=mine["accessToken"])
    assert status == 200
    assert me(api, stolen["accessToken"])[1]["error"]["reason"] == "session_revoked"
    assert api.post("/api/v1/auth/refresh", {"refreshToken": stolen["refreshToken"]})[0] == 401
    assert me(api, mine["accessToken"])[0] == 200
    listed = api.get("/api/v1/auth/sessions", token=mine["accessToken"])[1]["data"]
    assert [s["id"] for s in listed] == [mine["sessionId"]]


def test_another_customers_session_is_not_found_and_not_revoked(api):
    owner, intruder = make_user(), make_user()
    theirs, attacker = login(api, owner), login(api, intruder)
    status, body, _ = api.delete(f"/api/v1/auth/sessions/{theirs['sessionId']}", token=attacker["accessToken"])
    assert status == 404 and body["error"]["reason"] == "session_not_found"
    assert me(api, theirs["accessToken"])[0] == 200
    assert api.delete("/api/v1/auth/sessions/ses_missing", token=attacker["accessToken"])[0] == 404
    assert api.get("/api/v1/auth/sessions")[0] == 401


def test_revoke_all_keeps_the_callers_session_unless_asked(api):
    user = make_user()
    others = [login(api, user) for _ in range(2)]
    mine = login(api, user)
    status, body, _ = api.delete("/api/v1/auth/sessions/all", token=mine["accessToken"])
    assert status == 200 and body["data"] == {"revoked": 2}
    assert all(me(api, o["accessToken"])[0] == 401 for o in others)
    assert me(api, mine["accessToken"])[0] == 200
    status, body, _ = api.delete("/api/v1/auth/sessions/all?includeCurrent=true", token=mine["accessToken"])
    assert status == 200 and body["data"] == {"revoked": 1}
    assert me(api, mine["accessToken"])[0] == 401
    assert api.delete("/api/v1/auth/sessions/all?includeCurrent=maybe", token=login(api, user)["accessToken"])[0] == 422


def test_refresh_keeps_the_session_and_reuse_ends_it(api):
    user = make_user()
    first = login(api, user)
    status, body, _ = api.post("/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert status == 200 and body["data"]["sessionId"] == first["sessionId"]
    second = body["data"]
    assert me(api, second["accessToken"])[0] == 200
    assert api.post("/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]})[0] == 401  # reuse
    assert me(api, second["accessToken"])[1]["error"]["reason"] == "session_revoked"
    assert AuthSession.get_by_id(first["sessionId"]).revoked_reason == "refresh_token_reused"


def test_verify_checks_a_token(api):
    user = make_user(role="staff")
    tokens = login(api, user)
    status, body, _ = api.post("/api/v1/auth/verify", {"token": tokens["accessToken"]})
    assert status == 200, body
    assert body["data"]["valid"] is True and body["data"]["userId"] == user.id
    assert body["data"]["role"] == "staff" and body["data"]["sessionId"] == tokens["sessionId"]
    assert body["data"]["expiresAt"].endswith("Z")
    assert api.post("/api/v1/auth/verify", {"token": "not.a.jwt"})[0] == 401
    assert api.post("/api/v1/auth/verify", {})[0] == 422
    api.post("/api/v1/auth/logout", {"refreshToken": tokens["refreshToken"]})
    status, body, _ = api.post("/api/v1/auth/verify", {"token": tokens["accessToken"]})
    assert status == 401 and body["error"]["reason"] == "session_revoked"
