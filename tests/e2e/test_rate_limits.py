"""E2E on the production shape (gunicorn with 2 workers + Redis): the rate limits and the login
backoff count in Redis, so every API process sees the same budget.

The stack runs with limits no flow meets, except the API-key limit (stack.E2E_RATE_LIMITS):
nothing but this module sends `x-api-key`. Each request here goes on a new connection, so
both gunicorn workers answer. The wrong sign-ins come from made-up client addresses
(`X-Forwarded-For` behind the loopback peer), so the flows' own logins from 127.0.0.1 are
never held.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import redis

from tests.e2e.stack import E2E_RATE_LIMITS, Http

API_KEY_LIMIT = int(E2E_RATE_LIMITS["RATE_LIMIT_API_KEY"].split()[0])


def fresh(production) -> Http:
    """A client on a new connection (gunicorn's workers take turns accepting)."""
    return Http(production.base, timeout=15)


ADMIN_EMAIL = "e2e-limits-admin@cartwheel.test"
ADMIN_PASSWORD = "quartz-meadow-limits-5"


def api_key(production, name: str) -> dict:
    """A real API key (scope orders:read) created by an admin through the API: its headers."""
    production.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    http = fresh(production)
    status, body, _ = http.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert status == 200, body
    status, body, _ = http.post("/api/v1/admin/api-keys", {"name": name, "scopes": ["orders:read"]},
                                token=body["data"]["accessToken"])
    assert status == 201, body
    return {"x-api-key": body["data"]["id"], "x-app-secret": body["data"]["appSecret"]}


def test_the_api_key_limit_is_one_budget_in_redis_for_every_gunicorn_worker(production):
    headers_in = api_key(production, "limits")
    key = headers_in["x-api-key"]
    answers = []
    for _ in range(API_KEY_LIMIT + 3):
        status, body, headers = fresh(production).get("/api/v1/orders?limit=1", headers=headers_in)
        answers.append(status)
        assert headers["RateLimit-Limit"] == str(API_KEY_LIMIT), dict(headers)
        if status == 429:
            assert body["error"]["code"] == "RATE_LIMITED" and body["error"]["reason"] == "rate_limited", body
            assert body["error"]["details"] == [{"limit": f"{API_KEY_LIMIT} per 1 minute"}], body
            assert 1 <= int(headers["Retry-After"]) <= 60
    assert answers == [200] * API_KEY_LIMIT + [429] * 3
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    client = redis.Redis.from_url(production.redis_url, socket_timeout=2)
    stored = client.keys(f"*cartwheel/key:{digest}/api-key/*")
    assert len(stored) == 1 and client.llen(stored[0]) == API_KEY_LIMIT  # the moving window, in Redis
    status, _, _ = fresh(production).get("/api/v1/orders?limit=1", headers=api_key(production, "another"))
    assert status == 200  # another key: its own budget
    status, _, headers = fresh(production).get("/api/v1/health")
    assert status == 200 and "RateLimit-Limit" not in headers


def test_the_login_backoff_holds_an_account_across_gunicorn_workers(production):
    email, password = f"backoff-{secrets.token_hex(6)}@example.com", "a-Strong-passphrase-42"
    status, body, _ = fresh(production).post("/api/v1/auth/register", {"email": email, "password": password})
    assert status == 201, body
    answers = []
    for _ in range(8):
        status, body, headers = fresh(production).post(
            "/api/v1/auth/login", {"email": email, "password": "wrong-password"},
            headers={"X-Forwarded-For": f"2001:db8::{secrets.token_hex(2)}"})
        answers.append((status, body["error"]["reason"]))
    assert answers[:5] == [(401, "invalid_credentials")] * 5
    # 1 s hold after the 5th failure: what follows within it is refused, whichever worker answers
    assert (429, "login_backoff") in answers[5:], answers
    deadline = time.monotonic() + 20
    while True:  # the right password gets in once the hold (a few seconds at most here) is over
        status, body, headers = fresh(production).post("/api/v1/auth/login", {"email": email, "password": password})
        if status != 429 or time.monotonic() > deadline:
            break
        assert body["error"]["reason"] == "login_backoff", body
        time.sleep(int(headers["Retry-After"]))
    assert status == 200 and body["data"]["user"]["email"] == email, (status, body)
