"""Who is calling: the Bearer access token, and role checks for views.

`current_user()` is the authenticated User or None (guest); a present but
invalid token is an error (401), never silently a guest. `require_user()` and
`require_staff()` / `require_admin()` raise the envelope's 401/403.

Operations document their security in OpenAPI (`BEARER_SECURITY`: a token is required;
`OPTIONAL_BEARER_SECURITY`: guests are served too; none: the token is not read), and
`authenticate_as_declared` enforces the document before the request's arguments are parsed.
"""

from __future__ import annotations

import functools

from flask import g, request

from models.users import User
from services import customers
from services.errors import AuthenticationFailed, NotAllowed

_UNSET = object()
API_KEY_HEADER = "x-api-key"
APP_SECRET_HEADER = "x-app-secret"

BEARER_SECURITY = [{"bearerAuth": []}]  # OpenAPI: a bearer token is required
OPTIONAL_BEARER_SECURITY = [{}, {"bearerAuth": []}]  # OpenAPI: guests welcome, a token is read when sent


def current_user() -> User | None:
    """The caller, from `Authorization: Bearer <jwt>` or an API key (`x-api-key` + `x-app-secret`,
    and `x-timestamp` + `x-signature` for a key that signs: the key's owner, limited to the key's
    scopes by web.permissions); None without either.

    Raises AuthenticationFailed for a malformed, expired or invalid token or key, or both sent.
    """
    cached = getattr(g, "_current_user", _UNSET)
    if cached is not _UNSET:
        return cached
    header = request.headers.get("Authorization", "")
    user = None
    if request.headers.get(API_KEY_HEADER):
        if header:
            raise AuthenticationFailed("Send a bearer token or an API key, not both", reason="bad_authorization")
        user = _api_key_caller()
    elif header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'", reason="bad_authorization")
        user, claims = customers.authenticate_access_token(token.strip())
        g._session_id = claims.get("sid")
    g._current_user = user
    return user


def _api_key_caller() -> User:
    secret = request.headers.get(APP_SECRET_HEADER, "")
    key, owner = customers.authenticate_key(request.headers[API_KEY_HEADER].strip(), secret)
    if key.require_signature:
        query = request.query_string.decode("latin-1")
        customers.verify_signature(key, secret, request.headers.get("x-timestamp"),
                                   request.headers.get("x-signature"), request.method,
                                   request.path + (f"?{query}" if query else ""), request.get_data(cache=True))
    g._api_key = key
    return owner


def current_api_key():
    """The API key the request authenticated with (models.users.ApiKey), or None."""
    current_user()
    return getattr(g, "_api_key", None)


def current_session_id() -> str | None:
    """The session id (`sid` claim) of the caller's access token, None for a guest."""
    current_user()
    return getattr(g, "_session_id", None)


def require_user() -> User:
    """The authenticated caller; AuthenticationFailed (401) for a guest."""
    user = current_user()
    if user is None:
        raise AuthenticationFailed("Authentication required", reason="authentication_required")
    return user


def require_role(*roles: str) -> User:
    """The authenticated caller if their role is one of `roles`; 401 for a guest, 403 otherwise."""
    user = require_user()
    if user.role not in roles:
        raise NotAllowed("You are not allowed to do this", reason="insufficient_role")
    return user


def require_staff() -> User:
    """The caller if staff or admin (401 / 403 otherwise)."""
    return require_role("staff", "admin")


def require_admin() -> User:
    """The caller if admin (401 / 403 otherwise)."""
    return require_role("admin")


def caller_scope(guest_resource: str | None = None) -> str:
    """Idempotency scope of the caller: the user id; for a guest, `guest:{guest_resource}`, the id of
    the guest-owned resource the request acts on (a cart, an order: holding that id is what
    identifies the guest), so two guests who pick the same key never share it. A guest request
    with no such resource gets the scope of its own request fingerprint (`guest:?`, see
    `web.jobview.submit`)."""
    user = current_user()
    if user is not None:
        return user.id
    return f"guest:{guest_resource}" if guest_resource else "guest:?"


def checked(check):
    """Decorator: run `check()` (e.g. `require_admin`) before the request body is parsed,
    so an anonymous caller gets 401 (and a customer 403) rather than a validation error.
    Place it above the `arguments` decorators."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            check()
            return view(*args, **kwargs)
        return wrapper
    return decorate


def authenticate_as_declared(operation: dict) -> None:
    """Check the caller against `operation`'s documented security, before any argument is read:
    a required token must be present and valid (401 otherwise); an optional one is checked when
    sent. Operations that document no security never read the token."""
    security = operation.get("security") or []
    if not any("bearerAuth" in requirement for requirement in security):
        return
    if {} in security:
        if request.headers.get("Authorization") or request.headers.get(API_KEY_HEADER):
            current_user()
    else:
        require_user()
