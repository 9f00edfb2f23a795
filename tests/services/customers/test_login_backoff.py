"""Login backoff (services.customers.login_backoff): after 5 failures per account or per IP,
attempts wait before the password is even checked, the wait doubles per further failure up to
the cap, a success clears the counters, a known address passes the account's hold, and
through the API 130 wrong passwords are mostly 429s. The clock is the module's `_now`."""

from __future__ import annotations

import concurrent.futures
import logging
import secrets
import threading
from dataclasses import replace

import pytest

import config
from services.customers import accounts, login_backoff
from services.customers.login_backoff import authenticate_with_backoff
from services.errors import AuthenticationFailed, TooManyAttempts
from tests.conftest import TEST_BROKER_URL
from tests.factories import make_user

PASSWORD = "correct-horse-9"
WRONG = "wrong-password"
ON_REDIS = TEST_BROKER_URL.startswith("redis")
REDIS_URL = "redis://127.0.0.1:6379/14"


class CountingHasher:
    """The Argon2 hasher, counting `verify` calls."""

    def __init__(self, inner):
        self.inner = inner
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, *args, **kwargs):
        with self._lock:
            self.verified += 1
        return self.inner.verify(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture()
def hasher(monkeypatch):
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


class Clock:
    def __init__(self):
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(login_backoff, "_now", fake)
    return fake


def new_ip() -> str:
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def fail(email: str, ip: str | None) -> None:
    with pytest.raises(AuthenticationFailed):
        authenticate_with_backoff(email, WRONG, ip)


def refused(email: str, ip: str | None, password: str = WRONG) -> TooManyAttempts:
    with pytest.raises(TooManyAttempts) as caught:
        authenticate_with_backoff(email, password, ip)
    assert caught.value.status == 429 and caught.value.code == "RATE_LIMITED"
    assert caught.value.reason == "login_backoff"
    return caught.value


def test_five_failures_then_attempts_are_refused_without_checking_the_password(db, settings, hasher, clock):
    user = make_user()
    ip = new_ip()
    for _ in range(5):
        fail(user.email, ip)
    assert hasher.verified == 5
    assert refused(user.email, ip).retry_after == 1
    assert refused(user.email, ip, password=PASSWORD).retry_after == 1  # even the right password waits
    assert hasher.verified == 5


def test_the_wait_doubles_per_further_failure(db, settings, hasher, clock):
    user = make_user()
    for _ in range(5):
        fail(user.email, None)
    for wait in (1, 2, 4, 8, 16):
        clock.advance(wait - 0.5)
        assert refused(user.email, None).retry_after == 1  # 0.5 s left, rounded up
        clock.advance(0.5)
        fail(user.email, None)  # the hold is over: checked, and wrong again
    assert refused(user.email, None).retry_after == 32
    assert hasher.verified == 10


def test_the_wait_is_capped_at_login_backoff_max_seconds(db, settings, clock):
    config.override(replace(settings, login_backoff_max_seconds=10))
    email = make_user().email
    waits = []
    for _ in range(5):
        fail(email, None)
    for _ in range(6):
        waits.append(refused(email, None).retry_after)
        clock.advance(waits[-1])
        fail(email, None)
    assert waits == [1, 2, 4, 8, 10, 10]


def test_a_success_clears_the_counters(db, settings, hasher, clock):
    user = make_user()
    ip = new_ip()
    for _ in range(4):
        fail(user.email, ip)
    assert authenticate_with_backoff(user.email, PASSWORD, ip).id == user.id
    for _ in range(4):  # counting starts again
        fail(user.email, ip)
    fail(user.email, ip)
    refused(user.email, ip)
    clock.advance(1)
    assert authenticate_with_backoff(user.email.upper(), PASSWORD, ip).id == user.id  # normalised email
    fail(user.email, ip)  # failure 1 of a new run: checked, not held


def test_unknown_emails_are_counted_like_accounts(db, settings, hasher, clock):
    email = f"nobody-{secrets.token_hex(4)}@example.com"
    for _ in range(5):
        fail(email, new_ip())
    refused(email, new_ip())  # the account's counter, whichever IP asks


def test_the_ip_counter_holds_one_address_spraying_many_accounts_but_not_another(db, settings, clock):
    sprayer, other = new_ip(), new_ip()
    for _ in range(5):
        fail(f"victim-{secrets.token_hex(4)}@example.com", sprayer)
    held = refused(f"victim-{secrets.token_hex(4)}@example.com", sprayer)
    assert held.retry_after == 1
    user = make_user()
    assert authenticate_with_backoff(user.email, PASSWORD, other).id == user.id  # another IP: not held
    fail(f"victim-{secrets.token_hex(4)}@example.com", other)


def test_an_address_the_account_signed_in_from_passes_the_accounts_hold(db, settings, clock):
    """Attackers elsewhere make the account wait; its owner, at an address it signed in from
    before, still gets in (OWASP: do not let lockout become a denial of service)."""
    user = make_user()
    home = new_ip()
    authenticate_with_backoff(user.email, PASSWORD, home)
    for _ in range(5):
        fail(user.email, new_ip())  # five addresses, one failure each: only the account counts 5
    refused(user.email, new_ip())
    assert authenticate_with_backoff(user.email, PASSWORD, home).id == user.id
    fail(user.email, new_ip())  # the success cleared the account's counter


def test_concurrent_guesses_cannot_slip_past_the_threshold(db, settings, hasher, clock):
    """Each attempt is counted before its password check, atomically with the hold check: 20
    parallel guesses on one account get 5 password checks."""
    email = make_user().email

    def guess(_):
        try:
            authenticate_with_backoff(email, WRONG, new_ip())
        except TooManyAttempts:
            return 429
        except AuthenticationFailed:
            return 401
        finally:
            from models.db import database

            if not database.is_closed():
                database.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(guess, range(20)))
    assert sorted(answers) == [401] * 5 + [429] * 15
    assert hasher.verified == 5


def test_failures_and_holds_are_logged_as_security_events(db, settings, clock, caplog):
    email = make_user().email
    with caplog.at_level(logging.WARNING, logger="cartwheel.security"):
        for _ in range(5):
            fail(email, "198.51.100.9")
        refused(email, "198.51.100.9")
    events = [getattr(record, "security_event", None) for record in caplog.records
              if record.name == "cartwheel.security"]
    assert events == ["login_failed"] * 5 + ["login_backoff"]
    assert all(email not in record.getMessage() for record in caplog.records)  # a tag, never the email
    assert login_backoff.account_tag(email) in caplog.records[-1].getMessage()


def test_the_store_is_redis_when_a_redis_url_is_set_else_memory(settings):
    assert login_backoff.storage_url(replace(settings, redis_url="", rate_limit_storage_url="memory://")) == ""
    assert login_backoff.storage_url(replace(settings, redis_url="redis://r:6379/1")) == "redis://r:6379/1"
    assert login_backoff.storage_url(replace(settings, redis_url="", rate_limit_storage_url="redis://l:6379/2")) \
        == "redis://l:6379/2"
    config.override(replace(settings, redis_url=""))
    assert isinstance(login_backoff.backoff_store(), login_backoff.MemoryBackoffStore)


@pytest.mark.skipif(not ON_REDIS, reason="needs the PostgreSQL + Redis pass (TEST_BROKER_URL=redis://...)")
def test_in_redis_the_counters_are_shared_by_every_process(db, settings, hasher, clock):
    config.override(replace(settings, redis_url=REDIS_URL))
    store = login_backoff.backoff_store()
    assert isinstance(store, login_backoff.RedisBackoffStore)
    user = make_user()
    ip = new_ip()
    for _ in range(5):
        fail(user.email, ip)
    other_process = login_backoff.RedisBackoffStore(REDIS_URL)
    held = other_process.begin(login_backoff._digest(user.email), ip, None, clock.now, 5, 300)
    assert held.retry_after == 1 and held.held_by == ("account", "ip")
    assert refused(user.email, ip).retry_after == 1
    clock.advance(1)
    fail(user.email, ip)
    assert refused(user.email, ip).retry_after == 2  # doubled
    clock.advance(2)
    assert authenticate_with_backoff(user.email, PASSWORD, ip).id == user.id
    fail(user.email, ip)  # cleared
    assert hasher.verified == 8


def test_an_unreachable_redis_fails_open(db, settings, caplog):
    config.override(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    user = make_user()
    with caplog.at_level(logging.WARNING, logger="cartwheel.security"):
        for _ in range(7):
            fail(user.email, new_ip())
        assert authenticate_with_backoff(user.email, PASSWORD, new_ip()).id == user.id
    assert any("failing open" in record.getMessage() for record in caplog.records)


def test_130_wrong_passwords_through_the_api_are_429s_after_the_threshold(api, hasher, clock):
    user = make_user()
    answers = []
    for _ in range(130):
        status, body, headers = api.post("/api/v1/auth/login", {"email": user.email, "password": WRONG})
        answers.append(status)
        if status == 429:
            assert body["error"]["code"] == "RATE_LIMITED" and body["error"]["reason"] == "login_backoff", body
            assert headers["Retry-After"] == "1"
            assert body["error"]["message"] == "Too many failed sign-ins; retry in 1 second"
        else:
            assert status == 401 and body["error"]["reason"] == "invalid_credentials", body
    assert answers == [401] * 5 + [429] * 125
    assert hasher.verified == 5
    clock.advance(1)
    status, body, _ = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert status == 200 and body["data"]["user"]["id"] == user.id
