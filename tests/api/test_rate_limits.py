"""Rate limits over HTTP (web.limits): per client IP, the auth routes' own budget, the per-user
write limit, the API-key limit, exemptions, headers, the 429 envelope, storage shared by two app
instances (Redis, on the PostgreSQL + Redis pass) and failing open when Redis is unreachable.

Each test builds its own app with limits on (the suite runs with RATE_LIMITS_ENABLED=false) and
comes from fresh random IPv6 addresses (`X-Forwarded-For` behind the test client's loopback
peer), so counts left in Redis by an earlier run never meet it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace

import pytest

from tests.conftest import TEST_BROKER_URL
from tests.factories import make_user, token_for
from web import create_app

REDIS_STORAGE = "redis://127.0.0.1:6379/14"  # db 14: rate-limit storage in tests (15 is the broker)
ON_REDIS = TEST_BROKER_URL.startswith("redis")
STORAGE = REDIS_STORAGE if ON_REDIS else "memory://"
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def new_ip() -> str:
    """A documentation-range IPv6 address no earlier run used."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


@pytest.fixture()
def make_app(app, settings):
    """`make_app(**settings_overrides)`: a fresh app with rate limits on (storage: Redis db 14
    on the PostgreSQL + Redis pass, else memory). Built on the `app` fixture for its database,
    worker and teardown."""

    def build(**overrides):
        limited = replace(settings, **{"rate_limits_enabled": True, "rate_limit_storage_url": STORAGE,
                                       "rate_limit_default": "100 per minute", **overrides})
        application = create_app(limited)
        application.config["TESTING"] = True
        return application

    return build


def get(client, path, ip, **headers):
    return client.get(path, headers={"X-Forwarded-For": ip, **headers})


def post(client, path, ip, json=None, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(path, json=json, headers={"X-Forwarded-For": ip, **headers})


def assert_rate_limited(response, limit: str):
    assert response.status_code == 429, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "RATE_LIMITED" and error["reason"] == "rate_limited", error
    assert error["details"] == [{"limit": limit}], error
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert error["message"] == f"Too many requests; retry in {retry_after} second{'' if retry_after == 1 else 's'}"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60


def test_the_sixth_request_from_one_ip_in_a_minute_is_a_429_in_the_envelope(make_app):
    client = make_app(rate_limit_default="5 per minute").test_client()
    ip = new_ip()
    for remaining in (4, 3, 2, 1, 0):
        response = get(client, "/api/v1/products", ip)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == str(remaining)
        assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60  # delta-seconds, not a timestamp
        assert "Retry-After" not in response.headers  # only a 429 (or a response that sets one) has it
    response = get(client, "/api/v1/products", ip)
    assert_rate_limited(response, "5 per 1 minute")
    assert response.headers["RateLimit-Limit"] == "5"


def test_the_ip_default_is_one_budget_over_every_route(make_app):
    client = make_app(rate_limit_default="3 per minute").test_client()
    ip = new_ip()
    assert get(client, "/api/v1/products", ip).status_code == 200
    assert get(client, "/api/v1/auth/me", ip).status_code == 401  # counted too
    assert post(client, "/api/v1/cart", ip, json={}).status_code == 201
    assert_rate_limited(get(client, "/api/v1/products/trending", ip), "3 per 1 minute")


def test_requests_from_another_ip_are_served(make_app):
    client = make_app(rate_limit_default="2 per minute").test_client()
    first, second = new_ip(), new_ip()
    for _ in range(2):
        assert get(client, "/api/v1/products", first).status_code == 200
    assert get(client, "/api/v1/products", first).status_code == 429
    response = get(client, "/api/v1/products", second)
    assert response.status_code == 200 and response.headers["RateLimit-Remaining"] == "1"


def test_a_public_peers_forwarded_for_is_not_trusted(make_app):
    """Only our own (loopback/private) proxy's X-Forwarded-For names the client: a caller on the
    internet cannot dodge its limit by writing a new address in the header."""
    client = make_app(rate_limit_default="2 per minute").test_client()
    peer = {"REMOTE_ADDR": f"2606:4700::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}  # a global address
    answers = [client.get("/api/v1/products", headers={"X-Forwarded-For": new_ip()}, environ_base=peer).status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]


def test_auth_routes_share_their_own_tighter_limit(make_app):
    client = make_app(rate_limit_default="50 per minute", rate_limit_auth="3 per minute").test_client()
    ip = new_ip()
    # an email of its own: the login backoff's per-account count lives in Redis for the whole run
    wrong = {"email": f"nobody-{secrets.token_hex(4)}@example.com", "password": "wrong-password"}
    assert post(client, "/api/v1/auth/login", ip, wrong).status_code == 401
    response = post(client, "/api/v1/auth/login", ip, wrong)
    assert response.status_code == 401 and response.headers["RateLimit-Limit"] == "3"  # the tightest one
    assert post(client, "/api/v1/auth/refresh", ip, {"refreshToken": "nope"}).status_code == 401
    assert_rate_limited(post(client, "/api/v1/auth/register", ip,
                             {"email": "new@example.com", "password": "a-Strong-passphrase-42"}), "3 per 1 minute")
    assert_rate_limited(post(client, "/api/v1/auth/login", ip, wrong), "3 per 1 minute")
    products = get(client, "/api/v1/products", ip)  # the rest of the API is still open to this IP
    assert products.status_code == 200 and products.headers["RateLimit-Limit"] == "50"
    assert post(client, "/api/v1/auth/login", new_ip(), wrong).status_code == 401  # another IP: its own budget


def test_password_reset_and_email_link_routes_share_the_auth_budget(make_app):
    client = make_app(rate_limit_default="50 per minute", rate_limit_auth="3 per minute").test_client()
    ip = new_ip()
    assert post(client, "/api/v1/auth/forgot-password", ip, {"email": "someone@example.com"}).status_code == 202
    assert post(client, "/api/v1/auth/reset-password", ip, {"token": "forged", "newPassword": "x"}).status_code != 429
    assert post(client, "/api/v1/auth/verify-email", ip, {"token": "forged"}).status_code != 429
    assert_rate_limited(post(client, "/api/v1/auth/forgot-password", ip, {"email": "someone@example.com"}),
                        "3 per 1 minute")


def test_an_authenticated_writer_has_the_per_user_write_limit(make_app):
    client = make_app(rate_limit_default="100 per minute", rate_limit_writes="3 per minute").test_client()
    token = token_for(make_user())
    ip = new_ip()
    for _ in range(3):
        response = post(client, "/api/v1/cart", ip, {}, token=token)
        assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["RateLimit-Limit"] == "3"
    assert_rate_limited(post(client, "/api/v1/cart", ip, {}, token=token), "3 per 1 minute")
    assert_rate_limited(post(client, "/api/v1/cart", new_ip(), {}, token=token), "3 per 1 minute")  # per user
    assert get(client, "/api/v1/auth/me", ip, Authorization=f"Bearer {token}").status_code == 200  # reads: open
    anonymous = post(client, "/api/v1/cart", ip, {})  # anonymous writes have the IP default only
    assert anonymous.status_code == 201 and anonymous.headers["RateLimit-Limit"] == "100"
    other = post(client, "/api/v1/cart", ip, {}, token=token_for(make_user()))  # another user, same IP
    assert other.status_code == 201


def test_a_bad_token_on_a_write_is_answered_401_not_counted_as_a_user(make_app):
    client = make_app(rate_limit_writes="1 per minute").test_client()
    ip = new_ip()
    for _ in range(3):
        response = post(client, "/api/v1/cart", ip, {}, token="not-a-jwt")
        assert response.status_code == 401 and response.headers["RateLimit-Limit"] == "100"


def test_the_api_key_limit_counts_per_key(make_app):
    from services import customers

    client = make_app(rate_limit_default="100 per minute", rate_limit_api_key="2 per minute").test_client()
    admin = make_user(role="admin")
    keys = [customers.create_key(admin, f"integration {i}", ["orders:read"]) for i in range(2)]
    (first, secret), (second, other_secret) = keys
    ip = new_ip()

    def with_key(key, secret_value):
        return get(client, "/api/v1/orders", ip, **{"x-api-key": key.id, "x-app-secret": secret_value})

    for _ in range(2):
        assert with_key(first, secret).status_code == 200
    assert_rate_limited(with_key(first, secret), "2 per 1 minute")
    assert with_key(second, other_secret).status_code == 200
    assert get(client, "/api/v1/products", ip).status_code == 200  # no key: the IP default only


def test_health_preflights_and_the_docs_are_exempt(make_app):
    client = make_app(rate_limit_default="2 per minute").test_client()
    ip = new_ip()
    for _ in range(5):
        health = get(client, "/api/v1/health", ip)
        assert health.status_code == 200 and "RateLimit-Limit" not in health.headers
        assert client.options("/api/v1/products", headers={"X-Forwarded-For": ip}).status_code != 429
        assert get(client, "/api/v1/docs/assets/swagger-ui.css", ip).status_code == 200
    assert get(client, "/api/v1/docs", ip).status_code == 200
    response = get(client, "/api/v1/products", ip)
    assert response.status_code == 200 and response.headers["RateLimit-Remaining"] == "1"  # nothing else counted


def test_limits_off_means_no_429_and_no_headers(make_app):
    client = make_app(rate_limits_enabled=False, rate_limit_default="1 per minute",
                      rate_limit_auth="1 per minute").test_client()
    ip = new_ip()
    for _ in range(4):
        response = get(client, "/api/v1/products", ip)
        assert response.status_code == 200
        assert not set(RATE_HEADERS) & set(response.headers.keys())
        assert post(client, "/api/v1/auth/refresh", ip, {"refreshToken": "nope"}).status_code == 401


def test_a_response_keeps_its_own_retry_after_and_others_get_none(make_app):
    """flask-limiter writes Retry-After on every response; only the response's own survives
    (a 202 job's `Retry-After: 1`, a 503's)."""
    application = make_app()
    application.add_url_rule("/api/v1/_test/accepted", "accepted", lambda: ("", 202, {"Retry-After": "1"}))
    application.add_url_rule("/api/v1/_test/plain", "plain", lambda: ("", 200))
    client = application.test_client()
    ip = new_ip()
    accepted = get(client, "/api/v1/_test/accepted", ip)
    assert accepted.status_code == 202 and accepted.headers["Retry-After"] == "1"
    assert accepted.headers["RateLimit-Limit"] == "100"
    plain = get(client, "/api/v1/_test/plain", ip)
    assert plain.status_code == 200 and "Retry-After" not in plain.headers and "RateLimit-Limit" in plain.headers


@pytest.mark.skipif(not ON_REDIS, reason="needs the PostgreSQL + Redis pass (TEST_BROKER_URL=redis://...)")
def test_two_app_instances_share_the_count_in_redis(make_app):
    """Two apps (as two gunicorn processes) on one Redis storage: one budget per IP."""
    first = make_app(rate_limit_default="5 per minute").test_client()
    second = make_app(rate_limit_default="5 per minute").test_client()
    ip = new_ip()
    answers = [get(client, "/api/v1/products", ip).status_code for client in (first, second) * 3]
    assert answers == [200, 200, 200, 200, 200, 429]
    assert get(first, "/api/v1/products", ip).status_code == 429
    assert get(second, "/api/v1/products", new_ip()).status_code == 200


def test_memory_storage_counts_per_process(make_app):
    """Embedded mode (memory storage): each app instance keeps its own counts."""
    first = make_app(rate_limit_storage_url="memory://", rate_limit_default="2 per minute").test_client()
    second = make_app(rate_limit_storage_url="memory://", rate_limit_default="2 per minute").test_client()
    ip = new_ip()
    assert [get(first, "/api/v1/products", ip).status_code for _ in range(3)] == [200, 200, 429]
    assert get(second, "/api/v1/products", ip).status_code == 200


def test_an_unreachable_redis_fails_open(make_app, caplog):
    """Redis down: requests are served (no 500), a warning is logged, and the limits go on in the
    process's memory until Redis answers again."""
    client = make_app(rate_limit_storage_url="redis://127.0.0.1:1/0", rate_limit_default="4 per minute").test_client()
    ip = new_ip()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        answers = [get(client, "/api/v1/products", ip).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 200]
        assert any("falling back to in-memory" in record.getMessage() for record in caplog.records
                   if record.levelno == logging.WARNING)
        assert get(client, "/api/v1/products", ip).status_code == 429  # still limited, in memory
        assert get(client, "/api/v1/products", new_ip()).status_code == 200


def test_the_openapi_document_lists_429_on_every_operation(make_app):
    spec = make_app().test_client().get("/api/v1/openapi.json", headers={"X-Forwarded-For": new_ip()}).get_json()
    operations = [(method, path, operation) for path, item in spec["paths"].items()
                  for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")]
    assert operations
    missing = [(method, path) for method, path, operation in operations
               if operation["responses"].get("429") != {"$ref": "#/components/responses/RATE_LIMITED"}]
    assert missing == []
    response = spec["components"]["responses"]["RATE_LIMITED"]
    assert set(response["headers"]) == {"Retry-After", *RATE_HEADERS}
    body = spec["components"]["schemas"]["RateLimitedBody"]
    assert {"rate_limited", "login_backoff"} <= set(body["properties"]["reason"]["enum"])
    assert "limit" in spec["components"]["schemas"]["RateLimitDetail"]["properties"]
