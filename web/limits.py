"""Rate limits: flask-limiter, per client IP, per auth route, per user's writes and per API key.

`install(app)` reads the process settings (`config.get()`, which `create_app` has just set):

| limit | setting (default) | key | applies to |
|---|---|---|---|
| default | `rate_limit_default` (100 per minute) | client IP | every request; one budget for all routes |
| auth | `rate_limit_auth` (10 per minute) | client IP | `AUTH_PATHS`: sign-in, passwords, verification |
| writes | `rate_limit_writes` (60 per minute) | user id of the Bearer JWT | POST/PUT/PATCH/DELETE with a valid token |
| API key | `rate_limit_api_key` (1000 per minute) | SHA-256 of `x-api-key` | requests that send `x-api-key` |

The client IP is `web.request_info.client_ip()`, the one the fraud signals record: the peer,
or the rightmost `X-Forwarded-For` entry when the peer is our own (private/loopback) proxy;
a client's own `X-Forwarded-For` is never trusted. Anonymous writes (and writes with a bad
token, answered 401) have the IP default only. API keys do not exist yet: the key limit is
keyed on the header's value as sent, unverified, so it comes on top of the IP default (a
made-up key must not buy a bigger budget); once keys are verified (services.customers API
keys), a verified key's requests may leave the IP default (`exempt_when` of that limit).

Exempt from every limit: `GET`/`HEAD /api/v1/health` (load balancers poll it), `OPTIONS`
(CORS preflights) and the Swagger UI with its assets (`/api/v1/docs...`). Unmatched URLs
(404 before any view) are not counted (flask-limiter keys limits on the endpoint).

Strategy: moving window. Every limit holds over any 60 s, so a client cannot send twice its
budget across a window boundary as a fixed window allows (20 login attempts in 2 s against
"10 per minute"), and Retry-After is when the oldest counted request leaves the window. It
costs one Redis list per key of at most `amount` timestamps (1000 for the API-key limit): a
small price against the fixed window's one counter at these amounts.

Storage: `settings.rate_limit_storage_url`, Redis in production (every gunicorn process and
API container share the counts), memory in embedded mode (one process). When the storage
fails (Redis down), flask-limiter logs a warning and counts in this process's memory until
Redis answers again (`in_memory_fallback_enabled`), and any other storage error is logged
and swallowed (`swallow_errors`): a request is never refused or failed because Redis is.

Headers (IETF draft-ietf-httpapi-ratelimit-headers, -07 names): every limited response
carries `RateLimit-Limit` (requests per window), `RateLimit-Remaining` and `RateLimit-Reset`
(seconds until a request is free again: delta-seconds, as the draft says, not flask-limiter's
epoch timestamp), describing the tightest limit that applied, or the one that was exceeded;
a 429 carries `Retry-After` (seconds). flask-limiter writes `Retry-After` on every response
when headers are on; `Retry-After` is kept only where the response set it (a 429, a 202's
`Retry-After: 1`, a 503). A 429 answers in the error envelope, code `RATE_LIMITED`, reason
`rate_limited`, details `[{"limit": "100 per 1 minute"}]`. The login backoff's 429
(services.errors.TooManyAttempts, reason `login_backoff`) is answered here too, with its
`retry_after` as `Retry-After`, whether or not rate limits are enabled.

With `settings.rate_limits_enabled` false nothing that limits is installed (no limiter, no
headers); the TooManyAttempts answer is.
"""

from __future__ import annotations

import hashlib
import math
import time

import marshmallow as ma
from flask import Flask, current_app, g, request
from flask_limiter import ApplicationLimit, HeaderNames, Limiter, RateLimitExceeded
from limits import parse_many

import config
from services import customers
from services.errors import AuthenticationFailed, TooManyAttempts
from web.errors import error_response
from web.request_info import client_ip
from web.schemas import ErrorBodySchema

AUTH_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh",
                        "/api/v1/auth/forgot-password", "/api/v1/auth/reset-password", "/api/v1/auth/change-password",
                        "/api/v1/auth/verify-email", "/api/v1/auth/verify-email/resend", "/api/v1/auth/verify",
                        "/api/v1/auth/mfa/setup", "/api/v1/auth/mfa/verify", "/api/v1/auth/mfa/disable",
                        "/api/v1/auth/send-otp", "/api/v1/auth/verify-otp",
                        "/api/v1/users/me"})  # DELETE: erasing the account checks the password
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEALTH_PATH = "/api/v1/health"
DOCS_PREFIX = "/api/v1/docs"
KEY_PREFIX = "cartwheel"  # flask-limiter keys: LIMITS:LIMITER/cartwheel/<key>/<scope>/<amount>/<n>/<unit>
API_KEY_HEADER = "x-api-key"
REDIS_TIMEOUT_SECONDS = 0.5  # connect and read timeout of the limiter's Redis calls
HEADERS = {HeaderNames.LIMIT: "RateLimit-Limit", HeaderNames.REMAINING: "RateLimit-Remaining",
           HeaderNames.RESET: "RateLimit-Reset", HeaderNames.RETRY_AFTER: "Retry-After"}


# --------------------------------------------------------------------------- keys


def client_key() -> str:
    """The default and auth limits' key: `ip:<client IP>` (`ip:unknown` when it cannot be read)."""
    return f"ip:{client_ip() or 'unknown'}"


def user_key() -> str | None:
    """The write limit's key: `user:<id>` from a valid `Authorization: Bearer <JWT>` (signature
    and expiry checked, no database read), else None (no header, another scheme, a bad token:
    the request is anonymous here, and a bad token is answered 401 by web.security)."""
    if "_rate_limit_user_key" not in g:
        key = None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                key = f"user:{customers.decode_access_token(token.strip())['sub']}"
            except AuthenticationFailed:
                key = None
        g._rate_limit_user_key = key
    return g._rate_limit_user_key


def api_key_key() -> str | None:
    """The API-key limit's key: `key:<SHA-256 of the x-api-key value>` (the secret never lands in
    Redis), or None without the header."""
    value = request.headers.get(API_KEY_HEADER, "").strip()
    return f"key:{hashlib.sha256(value.encode()).hexdigest()[:32]}" if value else None


def is_exempt() -> bool:
    """True for requests no limit counts: health checks, CORS preflights, the Swagger UI."""
    path = request.path
    return (request.method == "OPTIONS" or (path == HEALTH_PATH and request.method in ("GET", "HEAD"))
            or path == DOCS_PREFIX or path.startswith(DOCS_PREFIX + "/"))


def _not_auth_route() -> bool:
    return request.path not in AUTH_PATHS


def _not_authenticated_write() -> bool:
    return request.method not in WRITE_METHODS or user_key() is None


def _no_api_key() -> bool:
    return api_key_key() is None


def _rate(limit: str) -> float:
    """Requests per second allowed by the tightest part of `limit` ("10 per minute;100 per hour")."""
    return min(item.amount / item.get_expiry() for item in parse_many(limit))


# --------------------------------------------------------------------------- answers


class RateLimitDetailSchema(ma.Schema):
    field = ma.fields.String()
    message = ma.fields.String()
    limit = ma.fields.String(metadata={"description": "The limit that was exceeded, e.g. `100 per 1 minute`"})


class RateLimitedBodySchema(ErrorBodySchema):
    details = ma.fields.List(ma.fields.Nested(RateLimitDetailSchema))


class RateLimitedEnvelopeSchema(ma.Schema):
    """A 429: `{"error": {"code": "RATE_LIMITED", "reason", "message", "details": [{"limit"}]}}`."""

    error = ma.fields.Nested(RateLimitedBodySchema)


_INTEGER_HEADER = {"type": "integer", "minimum": 0}
RATE_LIMITED_RESPONSE = {
    "description": "Too many requests: a rate limit (reason `rate_limited`) or the login backoff "
                   "(`login_backoff`); retry after `Retry-After` seconds",
    "schema": RateLimitedEnvelopeSchema,
    "headers": {
        "Retry-After": {"description": "Seconds to wait before retrying", "schema": _INTEGER_HEADER},
        "RateLimit-Limit": {"description": "Requests allowed per window", "schema": _INTEGER_HEADER},
        "RateLimit-Remaining": {"description": "Requests left in the window", "schema": _INTEGER_HEADER},
        "RateLimit-Reset": {"description": "Seconds until a request is allowed again", "schema": _INTEGER_HEADER},
    },
}  # the OpenAPI response every operation documents for 429 (web.api)


def _limiter() -> Limiter | None:
    return current_app.extensions.get("cartwheel_limiter")


def _window_reset_seconds() -> float | None:
    """Seconds until the request's reported limit frees a request (its window statistics are
    read once per request and cached by flask-limiter), or None when unknown."""
    limiter = _limiter()
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return None
    try:
        return max(0.0, current.window[0] - time.time())
    except Exception:  # noqa: BLE001 - the storage failed since the check
        return None


def _reset_seconds(epoch_header: str) -> int:
    """RateLimit-Reset as delta-seconds, from the window (or flask-limiter's epoch value)."""
    seconds = _window_reset_seconds()
    if seconds is not None:
        return math.ceil(seconds)
    return max(0, int(epoch_header) - int(time.time())) if epoch_header.isdigit() else 0


def _seconds_until_free(error: RateLimitExceeded) -> int:
    """Whole seconds (>= 1) until the exceeded limit lets a request through."""
    seconds = _window_reset_seconds()
    if seconds is None:
        seconds = error.limit.limit.get_expiry()  # the best guess: a whole window
    return max(1, math.ceil(seconds))


def _seconds(count: int) -> str:
    return f"{count} second" if count == 1 else f"{count} seconds"


def handle_rate_limited(error: RateLimitExceeded):
    """429 in the envelope for an exceeded rate limit, with Retry-After."""
    retry_after = _seconds_until_free(error)
    return error_response(429, "RATE_LIMITED", f"Too many requests; retry in {_seconds(retry_after)}",
                          [{"limit": str(error.limit.limit)}], reason="rate_limited",
                          headers={"Retry-After": str(retry_after)})


def handle_too_many_attempts(error: TooManyAttempts):
    """429 in the envelope for a domain-level backoff (the login backoff), with Retry-After."""
    return error_response(error.status, error.code, error.message, error.details, reason=error.reason,
                          headers={"Retry-After": str(error.retry_after)})


# --------------------------------------------------------------------------- install


def _storage_options(url: str) -> dict:
    if url.startswith(("redis://", "rediss://", "redis+unix://")):
        return {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
    return {}


def build_limiter(settings: config.Settings) -> Limiter:
    """The Limiter for `settings` (not yet bound to an app)."""
    limits = [
        ApplicationLimit(settings.rate_limit_default, key_function=client_key, scope="ip"),
        ApplicationLimit(settings.rate_limit_auth, key_function=client_key, scope="auth", exempt_when=_not_auth_route),
        ApplicationLimit(settings.rate_limit_writes, key_function=user_key, scope="writes",
                         exempt_when=_not_authenticated_write),
        ApplicationLimit(settings.rate_limit_api_key, key_function=api_key_key, scope="api-key",
                         exempt_when=_no_api_key),
    ]
    # flask-limiter reports the first applicable limit of the shortest window in the headers:
    # list the tightest first so that is the one a client runs into.
    limits.sort(key=lambda limit: _rate(limit.limit_provider))
    limiter = Limiter(client_key, application_limits=limits, headers_enabled=True, header_name_mapping=HEADERS,
                      strategy="moving-window", storage_uri=settings.rate_limit_storage_url,
                      storage_options=_storage_options(settings.rate_limit_storage_url), swallow_errors=True,
                      in_memory_fallback_enabled=True, retry_after="delta-seconds", key_prefix=KEY_PREFIX)
    limiter.request_filter(is_exempt)
    return limiter


def install(app: Flask) -> Limiter | None:
    """Answer TooManyAttempts as a 429 and, when `rate_limits_enabled`, install the limiter (see
    the module docstring). Call after `errors.install` and before other `before_request`
    hooks, so a refused request does no other work. Returns the limiter (None when disabled)."""
    app.register_error_handler(TooManyAttempts, handle_too_many_attempts)
    settings = config.get()
    if not settings.rate_limits_enabled:
        return None

    # after_request hooks run in reverse order of registration: this one runs after flask-limiter's.
    @app.after_request
    def finish_rate_limit_headers(response):
        """Keep the response's own Retry-After (or none); RateLimit-Reset as delta-seconds."""
        own = g.pop("_own_retry_after", None)
        if own is None:
            response.headers.pop("Retry-After", None)
        else:
            response.headers["Retry-After"] = own
        if "RateLimit-Reset" in response.headers:
            response.headers["RateLimit-Reset"] = str(_reset_seconds(response.headers["RateLimit-Reset"]))
        return response

    limiter = build_limiter(settings)
    limiter.init_app(app)
    app.extensions["cartwheel_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)

    @app.after_request
    def note_own_retry_after(response):
        """(Runs before flask-limiter's header hook.) Remember the Retry-After the response set."""
        g._own_retry_after = response.headers.get("Retry-After")
        return response

    return limiter
