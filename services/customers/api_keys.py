"""API keys for integrations (seed 000 `x-api-key` + `x-app-secret`; seed 004 "admin operations
require API key authentication"; seed 001 request signing).

- `create_key(owner, name, scopes, require_signature)` -> (key, secret): the secret (`cs_` + 256
  random bits, URL-safe base64) is returned once and stored as its SHA-256. Scopes are
  permissions of services.customers.permissions (`API_KEY_SCOPES`); the owner must hold each.
- `authenticate_key(key_id, secret)`: the active key whose secret matches (constant-time); a
  request authenticated by a key acts as its owner restricted to the key's scopes (the web
  layer checks each route's permission against them), and only while the owner is an active
  account that still holds those permissions. `last_used_at` moves at most once a minute.
- `rotate_key(key_id)` -> (key, new secret): the old secret stops working at once.
  `revoke_key(key_id)`: the key stops working at once.
- `verify_signature(key, secret, timestamp, signature, method, path, body)`: for keys with
  `require_signature`: `x-signature` = hex HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path
  with query>.<body>"), `x-timestamp` = Unix seconds within `SIGNATURE_WINDOW_SECONDS` (300) of
  the server's clock; a signature seen before within the window is a replay and refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import peewee

from models.db import atomic, isoformat, utcnow
from models.users import ApiKey, ApiRequestNonce, User
from services.customers.permissions import API_KEY_SCOPES, allowed
from services.errors import AuthenticationFailed, NotFound, ValidationFailed

SIGNATURE_WINDOW_SECONDS = 300
TOUCH_SECONDS = 60  # last_used_at granularity


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return "cs_" + secrets.token_urlsafe(32)


def _check_scopes(owner: User, scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(API_KEY_SCOPES))
    if unknown or not scopes:
        raise ValidationFailed("Unknown or missing scopes" if unknown else "A key needs at least one scope",
                               reason="bad_scope", details=[{"field": "scopes", "message": f"Unknown: {s}"}
                                                            for s in unknown] or [{"field": "scopes",
                                                                                   "message": "Required"}])
    missing = [s for s in scopes if not allowed(owner, s)]
    if missing:
        raise ValidationFailed("You cannot give a key more than you may do yourself", reason="bad_scope",
                               details=[{"field": "scopes", "message": f"Not yours: {s}"} for s in missing])
    return sorted(set(scopes))


def create_key(owner: User, name: str, scopes: list[str], require_signature: bool = False) -> tuple[ApiKey, str]:
    """A new key of `owner` and its secret (shown once). Raises ValidationFailed (`bad_scope`)."""
    scopes = _check_scopes(owner, scopes)
    secret = _new_secret()
    with atomic():
        key = ApiKey.create(name=name.strip()[:100], owner=owner, scopes=scopes, secret_hash=_digest(secret),
                            secret_hint=secret[-4:], require_signature=require_signature)
    return key, secret


def list_keys() -> list[ApiKey]:
    """Every key, newest first (revoked ones too, marked)."""
    return list(ApiKey.select().order_by(ApiKey.created_at.desc(), ApiKey.id))


def _active(key_id: str) -> ApiKey:
    key = ApiKey.get_or_none(ApiKey.id == key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound("API key not found", reason="api_key_not_found")
    return key


def rotate_key(key_id: str) -> tuple[ApiKey, str]:
    """A new secret for the key (shown once); the old one stops working. Raises NotFound."""
    key = _active(key_id)
    secret = _new_secret()
    ApiKey.update(secret_hash=_digest(secret), secret_hint=secret[-4:], rotated_at=utcnow()).where(
        ApiKey.id == key.id).execute()
    return ApiKey.get_by_id(key.id), secret


def revoke_key(key_id: str) -> None:
    """Revoke the key at once. Raises NotFound (unknown or already revoked)."""
    key = _active(key_id)
    ApiKey.update(revoked_at=utcnow()).where(ApiKey.id == key.id).execute()


def authenticate_key(key_id: str, secret: str) -> tuple[ApiKey, User]:
    """(the key, its owner) for valid credentials. Raises AuthenticationFailed (`invalid_api_key`)."""
    key = ApiKey.get_or_none(ApiKey.id == key_id) if key_id.startswith("ck_") else None
    expected = key.secret_hash if key is not None else _digest("cartwheel-timing-equaliser")
    matches = hmac.compare_digest(expected, _digest(secret or ""))
    if key is None or not matches or key.revoked_at is not None:
        raise AuthenticationFailed("Invalid API key or secret", reason="invalid_api_key")
    owner = User.get_or_none(User.id == key.owner_id)
    if owner is None or not owner.is_active:
        raise AuthenticationFailed("The API key's owner is disabled", reason="invalid_api_key")
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= TOUCH_SECONDS:
        ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
    return key, owner


def verify_signature(key: ApiKey, secret: str, timestamp: str | None, signature: str | None, method: str,
                     path: str, body: bytes) -> None:
    """Check a signed request (see the module docstring). Raises AuthenticationFailed
    (`api_signature_invalid`, `signature_expired`, `signature_replayed`)."""
    if not timestamp or not signature or not timestamp.isdigit():
        raise AuthenticationFailed("This API key signs its requests: send x-timestamp and x-signature",
                                   reason="api_signature_invalid")
    now = utcnow()
    sent = dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc).replace(tzinfo=None) \
        if len(timestamp) <= 12 else None
    if sent is None or abs((now - sent).total_seconds()) > SIGNATURE_WINDOW_SECONDS:
        raise AuthenticationFailed("The request's x-timestamp is outside the 5-minute window",
                                   reason="signature_expired")
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise AuthenticationFailed("The request signature does not match", reason="api_signature_invalid")
    try:
        with atomic():
            ApiRequestNonce.delete().where(ApiRequestNonce.key == key.id, ApiRequestNonce.expires_at < now).execute()
            ApiRequestNonce.create(key=key.id, signature=expected,
                                   expires_at=now + dt.timedelta(seconds=2 * SIGNATURE_WINDOW_SECONDS))
    except peewee.IntegrityError:
        raise AuthenticationFailed("This signed request was already received", reason="signature_replayed") from None


def key_view(key: ApiKey, secret: str | None = None) -> dict:
    """API shape: {"id" (the x-api-key), "name", "scopes", "requireSignature", "secretHint",
    "createdAt", "rotatedAt", "lastUsedAt", "revokedAt"}, plus "appSecret" right after creation
    or rotation (shown once)."""
    view = {"id": key.id, "name": key.name, "scopes": key.scopes, "requireSignature": key.require_signature,
            "secretHint": key.secret_hint, "createdAt": isoformat(key.created_at),
            "rotatedAt": isoformat(key.rotated_at), "lastUsedAt": isoformat(key.last_used_at),
            "revokedAt": isoformat(key.revoked_at)}
    if secret is not None:
        view["appSecret"] = secret
    return view
