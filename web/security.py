"""Who is calling: the Bearer access token, and role checks for views.

`current_user()` is the authenticated User or None (guest); a present but
invalid token is an error (401), never silently a guest. `require_user()` and
`require_staff()` / `require_admin()` raise the envelope's 401/403.
"""

from __future__ import annotations

import functools

from flask import g, request

from models.users import User
from services import customers
from services.errors import AuthenticationFailed, NotAllowed

_UNSET = object()

BEARER_SECURITY = [{"bearerAuth": []}]


def current_user() -> User | None:
    """The caller, from `Authorization: Bearer <jwt>`; None without the header.

    Raises AuthenticationFailed for a malformed, expired or invalid token.
    """
    cached = getattr(g, "_current_user", _UNSET)
    if cached is not _UNSET:
        return cached
    header = request.headers.get("Authorization", "")
    user = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'", reason="bad_authorization")
        user = customers.user_from_token(token.strip())
    g._current_user = user
    return user


def require_user() -> User:
    user = current_user()
    if user is None:
        raise AuthenticationFailed("Authentication required", reason="authentication_required")
    return user


def require_role(*roles: str) -> User:
    user = require_user()
    if user.role not in roles:
        raise NotAllowed("You are not allowed to do this", reason="insufficient_role")
    return user


def require_staff() -> User:
    return require_role("staff", "admin")


def require_admin() -> User:
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
