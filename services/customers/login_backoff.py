"""Login backoff: after repeated failed sign-ins, further attempts must wait, twice as long per failure.

Two counters of consecutive failures are kept for each attempt:

- per account, keyed on the normalised email alone (also for emails with no account, so a
  refusal says nothing about whether one exists): it stops a distributed guesser, who gets the
  same few tries on one account however many IP addresses it owns;
- per client IP, for any account: it stops one address spraying passwords over many accounts.

When a counter holds `n >= settings.login_backoff_after` failures (5 by default), its key is
held until `last_failure + min(2 ** (n - after), settings.login_backoff_max_seconds)`: 1 s
after the 5th failure, 2 s after the 6th, 4 s after the 7th, ... capped at 300 s by default.
An attempt while either key is held is refused with `TooManyAttempts` (429, reason
`login_backoff`, `retry_after` in seconds) BEFORE the password is checked: it costs no Argon2
time, reveals nothing, and is not itself counted (waiting is the only way forward). A success
clears the account's and the IP's counters. Failures are forgotten `FAILURE_MEMORY_SECONDS`
(1 h) after the last one.

Not a lockout (OWASP Authentication Cheat Sheet, "Account lockout"; "Slow down online
guessing attacks with device cookies"): counting per account on the email alone means anyone
can make an account wait, so that wait is bounded three ways: it is a delay, never a lock
(once it has passed, one more attempt is checked); it is capped at `login_backoff_max_seconds`;
and an IP address from which this account signed in successfully in the last
`KNOWN_ADDRESS_SECONDS` (30 days) is not held by the account's counter at all, only by its own
IP counter (the API has no device cookie, so the known (email, IP) pair stands in for the
device). An attacker elsewhere therefore cannot keep the owner out from their usual
network, while a botnet still gets only `after` guesses, then 1, 2, 4 ... s waits, per account.
Keying the account counter on (email, IP) pairs instead would give every new IP `after` fresh
guesses on every account, which is what a botnet has plenty of.

Each attempt is counted as a failure before the password is checked, in the same atomic step
as the hold check (then cleared by a success), so N concurrent guesses cannot all slip through
the check while the counter is below the threshold. Known weakness, accepted: a success from
an IP clears that IP's counter, so an attacker with an account of their own can reset it by
signing in between guesses; the account counters and the auth rate limit
(`settings.rate_limit_auth`, per IP, see web.limits) still hold them.

Storage: Redis when `settings.redis_url` (else `settings.rate_limit_storage_url`) is a
`redis://` / `rediss://` URL, shared by every process (one Lua script checks and counts both
keys atomically); otherwise a dictionary under a lock (embedded mode is one process), rebuilt
when the process settings are replaced (`config.override`, as each test does). Redis
unreachable: the backoff fails open (the attempt is checked as usual, a warning is logged at
most once a minute); the rate limits still apply.

Security events go to the standard logger `cartwheel.security`: `login_failed` and
`login_backoff` (accounts appear as a short SHA-256 tag of the email, never the email).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import threading
import time

import config
from models.users import User
from services.customers.accounts import _normalise_email, authenticate
from services.errors import AuthenticationFailed, TooManyAttempts

security_log = logging.getLogger("cartwheel.security")

FAILURE_MEMORY_SECONDS = 3600  # a counter is forgotten this long after its last failure
KNOWN_ADDRESS_SECONDS = 30 * 86400  # an (email, IP) pair that signed in is trusted this long
REDIS_TIMEOUT_SECONDS = 0.5  # connect and read timeout of the backoff's Redis calls
_OUTAGE_LOG_SECONDS = 60.0


def _now() -> float:
    """The clock (epoch seconds); tests replace it."""
    return time.time()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def account_tag(email: str) -> str:
    """How logs name an account: the first 12 hex digits of SHA-256 of the normalised email."""
    return hashlib.sha256(_normalise_email(email).encode()).hexdigest()[:12]


def backoff_seconds(failures: int, after: int, cap: int) -> float:
    """The hold after `failures` consecutive failures: 0 below `after`, then
    `min(2 ** (failures - after), cap)` seconds (1, 2, 4, ... capped)."""
    if failures < after:
        return 0.0
    exponent = failures - after
    return float(cap) if exponent >= 63 else float(min(2 ** exponent, cap))


@dataclasses.dataclass(frozen=True)
class Attempt:
    """The outcome of `begin`: `retry_after` > 0 (seconds) when refused and which counter held it
    (`held_by`: "account" and/or "ip"); otherwise the failure counts including this attempt."""

    retry_after: float = 0.0
    held_by: tuple = ()
    account_failures: int = 0
    ip_failures: int = 0


class MemoryBackoffStore:
    """The counters in this process: `{key: (failures, last_failure_at)}` under a lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._known: dict[str, float] = {}  # pair key -> trusted until

    def begin(self, account: str, ip: str | None, pair: str | None, now: float, after: int, cap: int) -> Attempt:
        """Check both holds and, when neither holds, count this attempt as a failure of both."""
        with self._lock:
            self._prune(now)
            keys = {"account": f"account:{account}", **({"ip": f"ip:{ip}"} if ip else {})}
            known = pair is not None and self._known.get(pair, 0.0) > now
            waits = {}
            for name, key in keys.items():
                if name == "account" and known:
                    continue
                failures, last = self._counters.get(key, (0, 0.0))
                held_until = last + backoff_seconds(failures, after, cap)
                if failures >= after and now < held_until:
                    waits[name] = held_until - now
            if waits:
                return Attempt(retry_after=max(waits.values()), held_by=tuple(sorted(waits)))
            counts = {}
            for name, key in keys.items():
                failures = self._counters.get(key, (0, 0.0))[0] + 1
                self._counters[key] = (failures, now)
                counts[name] = failures
            return Attempt(account_failures=counts["account"], ip_failures=counts.get("ip", 0))

    def succeed(self, account: str, ip: str | None, pair: str | None, now: float) -> None:
        """Clear both counters and trust the (email, IP) pair for `KNOWN_ADDRESS_SECONDS`."""
        with self._lock:
            self._counters.pop(f"account:{account}", None)
            if ip:
                self._counters.pop(f"ip:{ip}", None)
            if pair:
                self._known[pair] = now + KNOWN_ADDRESS_SECONDS

    def _prune(self, now: float) -> None:
        if len(self._counters) > 10_000:
            self._counters = {k: v for k, v in self._counters.items() if v[1] + FAILURE_MEMORY_SECONDS > now}
        if len(self._known) > 100_000:
            self._known = {k: until for k, until in self._known.items() if until > now}


# KEYS: account counter, IP counter (or ""), known pair (or "").
# ARGV: now, after, cap, memory seconds. Counters are hashes {n: failures, t: last failure}.
# Returns {"held", wait_account, wait_ip} or {"counted", account_failures, ip_failures} (strings).
_BEGIN_SCRIPT = """
local now = tonumber(ARGV[1])
local after = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local memory = tonumber(ARGV[4])
local function held(key)
  if key == '' then return 0 end
  local v = redis.call('HMGET', key, 'n', 't')
  local n = tonumber(v[1]) or 0
  local t = tonumber(v[2]) or 0
  if n < after then return 0 end
  local wait = math.min(2 ^ (n - after), cap)
  if now < t + wait then return t + wait - now end
  return 0
end
local known = KEYS[3] ~= '' and redis.call('EXISTS', KEYS[3]) == 1
local wait_account = 0
if not known then wait_account = held(KEYS[1]) end
local wait_ip = held(KEYS[2])
if wait_account > 0 or wait_ip > 0 then
  return {'held', tostring(wait_account), tostring(wait_ip)}
end
local counts = {'counted', '0', '0'}
for i = 1, 2 do
  if KEYS[i] ~= '' then
    counts[i + 1] = tostring(redis.call('HINCRBY', KEYS[i], 'n', 1))
    redis.call('HSET', KEYS[i], 't', ARGV[1])
    redis.call('EXPIRE', KEYS[i], memory)
  end
end
return counts
"""


class RedisBackoffStore:
    """The counters in Redis, shared by every API process; keys under `prefix`."""

    def __init__(self, url: str, prefix: str = "cartwheel:login-backoff:"):
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                           socket_timeout=REDIS_TIMEOUT_SECONDS)
        self._begin = self.client.register_script(_BEGIN_SCRIPT)

    def _key(self, kind: str, value: str | None) -> str:
        return f"{self.prefix}{kind}:{value}" if value else ""

    def begin(self, account: str, ip: str | None, pair: str | None, now: float, after: int, cap: int) -> Attempt:
        """As MemoryBackoffStore.begin, atomically in one script. Raises redis errors."""
        keys = [self._key("account", account), self._key("ip", ip), self._key("known", pair)]
        outcome, first, second = (part.decode() if isinstance(part, bytes) else str(part) for part in
                                  self._begin(keys=keys, args=[repr(now), after, cap, FAILURE_MEMORY_SECONDS]))
        if outcome == "held":
            waits = {"account": float(first), "ip": float(second)}
            return Attempt(retry_after=max(waits.values()),
                           held_by=tuple(sorted(name for name, wait in waits.items() if wait > 0)))
        return Attempt(account_failures=int(first), ip_failures=int(second))

    def succeed(self, account: str, ip: str | None, pair: str | None, now: float) -> None:
        """Clear both counters and trust the pair. Raises redis errors."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(*[key for key in (self._key("account", account), self._key("ip", ip)) if key])
        if pair:
            pipe.set(self._key("known", pair), "1", ex=KNOWN_ADDRESS_SECONDS)
        pipe.execute()


_store_lock = threading.Lock()
_store: tuple[object, object] | None = None  # (the settings it was built for, the store)
_last_outage_log = 0.0


def storage_url(settings: config.Settings) -> str:
    """The Redis URL the backoff keeps its counters in, or "" for in-process counters."""
    for url in (settings.redis_url, settings.rate_limit_storage_url):
        if url and url.startswith(("redis://", "rediss://")):
            return url
    return ""


def backoff_store():
    """The store for the process settings: Redis (see `storage_url`) or in-process memory."""
    global _store
    settings = config.get()
    with _store_lock:
        if _store is None or _store[0] is not settings:
            url = storage_url(settings)
            _store = (settings, RedisBackoffStore(url) if url else MemoryBackoffStore())
        return _store[1]


def _storage_failed(error: Exception) -> None:
    global _last_outage_log
    now = time.monotonic()
    if now - _last_outage_log >= _OUTAGE_LOG_SECONDS:
        _last_outage_log = now
        security_log.warning("login backoff storage unreachable, failing open: %s", error)


def authenticate_with_backoff(email: str, password: str, ip: str | None = None) -> User:
    """The active user with these credentials, as `accounts.authenticate`, behind the backoff.

    `ip` is the client address (web.request_info.client_ip); None counts the account only.
    Raises TooManyAttempts (429, `login_backoff`, `retry_after` whole seconds >= 1) while the
    account or the IP is held, before the password is checked; AuthenticationFailed (401,
    `invalid_credentials`) for a wrong email or password (a failure, counted).
    """
    settings = config.get()
    account = _digest(_normalise_email(email))
    pair = _digest(f"{_normalise_email(email)}|{ip}") if ip else None
    store = backoff_store()
    now = _now()
    attempt = None
    try:
        attempt = store.begin(account, ip, pair, now, settings.login_backoff_after,
                              settings.login_backoff_max_seconds)
    except Exception as error:  # noqa: BLE001 - redis errors, whatever the client raises: fail open
        _storage_failed(error)
    if attempt is not None and attempt.retry_after > 0:
        retry_after = max(1, math.ceil(attempt.retry_after))
        security_log.warning("login_backoff account=%s ip=%s held_by=%s retry_after=%d", account_tag(email), ip,
                             ",".join(attempt.held_by), retry_after,
                             extra={"security_event": "login_backoff", "account": account_tag(email), "ip": ip,
                                    "held_by": list(attempt.held_by), "retry_after": retry_after})
        unit = "second" if retry_after == 1 else "seconds"
        raise TooManyAttempts(f"Too many failed sign-ins; retry in {retry_after} {unit}", retry_after=retry_after,
                              reason="login_backoff")
    try:
        user = authenticate(email, password)
    except AuthenticationFailed:
        failures = (attempt.account_failures, attempt.ip_failures) if attempt else (0, 0)
        security_log.warning("login_failed account=%s ip=%s account_failures=%d ip_failures=%d", account_tag(email),
                             ip, *failures,
                             extra={"security_event": "login_failed", "account": account_tag(email), "ip": ip,
                                    "account_failures": failures[0], "ip_failures": failures[1]})
        raise
    try:
        store.succeed(account, ip, pair, _now())
    except Exception as error:  # noqa: BLE001 - fail open, as above
        _storage_failed(error)
    return user
