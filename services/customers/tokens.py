"""Tokens: short-lived access JWTs and rotating refresh tokens.

Access tokens: HS256 (pinned), claims `sub`, `email`, `role`, `sid` (the session),
`iss`, `aud`, `iat`, `exp` (TTL `JWT_ACCESS_TTL_SECONDS`, default 900 s), `jti`.
Refresh tokens: opaque 256-bit strings stored as SHA-256, one family per sign-in
(its session, services.customers.sessions); each use rotates the token, and
presenting a used or revoked token revokes the whole family and its session
(OAuth 2.0 Security BCP, RFC 9700 section 4.14.2). The revocation is committed on
its own before the error is raised, so it never rolls back. A request's access
token is accepted only while its session is active: logout, revoking the session,
a password change or reset end it at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import jwt

import config
from models.db import atomic, utcnow
from models.users import AuthSession, RefreshToken, User
from services.customers import sessions
from services.errors import AuthenticationFailed

ALGORITHM = "HS256"


def issue_access_token(user: User, session_id: str | None = None) -> str:
    """A signed access JWT for `user` in session `session_id` (see module docstring for claims).
    Without a session (tools and tests only) the token lives out its TTL."""
    settings = config.get()
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": user.id, "email": user.email, "role": user.role, "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + dt.timedelta(seconds=settings.jwt_access_ttl),
              "jti": secrets.token_hex(8)}
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict:
    """The verified claims of `token` (algorithm, signature, exp, iss, aud checked).

    Raises AuthenticationFailed.
    """
    settings = config.get()
    try:
        return jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], audience=settings.jwt_audience,
                          issuer=settings.jwt_issuer, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Access token expired", reason="token_expired") from None
    except jwt.PyJWTError:
        raise AuthenticationFailed("Invalid access token", reason="invalid_token") from None


def authenticate_access_token(token: str) -> tuple[User, dict]:
    """(the active user, the claims) of an access token whose session is still active: one
    query reads the user and the session. Raises AuthenticationFailed (`session_revoked` for a
    session that ended, `invalid_token` for a gone or disabled account)."""
    claims = decode_access_token(token)
    query = User.select().where(User.id == claims["sub"])
    sid = claims.get("sid")
    if sid:
        query = (User.select(User, AuthSession.revoked_at.alias("session_revoked_at"))
                 .join(AuthSession, on=(AuthSession.user == User.id))
                 .where(User.id == claims["sub"], AuthSession.id == sid).objects())
    user = query.first()
    if user is None or not user.is_active:
        raise AuthenticationFailed("Account not found or disabled", reason="invalid_token")
    if sid and user.session_revoked_at is not None:
        raise AuthenticationFailed("This session was signed out", reason="session_revoked")
    return user, claims


def user_from_token(token: str) -> User:
    """The active user an access token names (`authenticate_access_token`). Raises AuthenticationFailed."""
    return authenticate_access_token(token)[0]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh(user: User, family: str) -> str:
    token = secrets.token_urlsafe(32)
    RefreshToken.create(user=user, token_hash=_digest(token), family=family,
                        expires_at=utcnow() + dt.timedelta(seconds=config.get().jwt_refresh_ttl))
    return token


def issue_tokens(user: User, family: str | None = None, client: sessions.Client | None = None) -> dict:
    """`{"accessToken", "refreshToken", "tokenType", "expiresIn", "sessionId"}` for a new sign-in
    (a new session from `client`, and the user's `last_login_at`) or, with `family`, the next
    pair of that sign-in (its session seen now)."""
    with atomic():
        if family is None:
            session = sessions.open_session(user, client)
            User.update(last_login_at=session.created_at).where(User.id == user.id).execute()
            family, session_id = session.family, session.id
        else:
            session = sessions.session_of_family(family)
            session_id = session.id if session else None
            if session_id:
                sessions.seen(session_id)
        refresh = _new_refresh(user, family)
    return {"accessToken": issue_access_token(user, session_id), "refreshToken": refresh, "tokenType": "Bearer",
            "expiresIn": config.get().jwt_access_ttl, "sessionId": session_id}


def revoke_family(family: str, reason: str = "logout") -> None:
    """End a sign-in: revoke its session and every unrevoked refresh token of its family (the
    session's revocation revokes them; a family from before sessions, or whose session already
    ended, has its tokens revoked here)."""
    if not sessions.revoke_family_session(family, reason):
        RefreshToken.update(revoked_at=utcnow()).where(RefreshToken.family == family,
                                                       RefreshToken.revoked_at.is_null()).execute()


def family_revoked(family: str) -> bool:
    """True once any token of the login family was revoked (by logout or reuse). Rotation never
    revokes, it marks tokens used, so one revoked token means the whole family is: this also
    catches a token issued by a concurrent rotation after the revocation ran."""
    return RefreshToken.select().where(RefreshToken.family == family, RefreshToken.revoked_at.is_null(False)).exists()


def rotate_refresh_token(token: str) -> dict:
    """Exchange a refresh token for a new pair. Raises AuthenticationFailed for an
    unknown, expired or revoked token (or one of a revoked family); a reused token also
    revokes its family."""
    row = RefreshToken.get_or_none(RefreshToken.token_hash == _digest(token))
    if row is None:
        raise AuthenticationFailed("Invalid refresh token", reason="invalid_refresh_token")
    now = utcnow()
    if row.revoked_at is not None or row.used_at is not None or family_revoked(row.family):
        with atomic():
            revoke_family(row.family, "refresh_token_reused")
        raise AuthenticationFailed("Refresh token already used; all sessions of this login were revoked",
                                   reason="refresh_token_reused")
    if row.expires_at < now:
        raise AuthenticationFailed("Refresh token expired", reason="refresh_token_expired")
    with atomic():
        claimed = RefreshToken.update(used_at=now).where(RefreshToken.id == row.id, RefreshToken.used_at.is_null(),
                                                         RefreshToken.revoked_at.is_null()).execute()
    if not claimed:  # a concurrent refresh won: revoke in its own transaction, so the revocation sticks
        with atomic():
            revoke_family(row.family, "refresh_token_reused")
        raise AuthenticationFailed("Refresh token already used", reason="refresh_token_reused")
    user = User.get_by_id(row.user_id)
    if not user.is_active:
        raise AuthenticationFailed("Account disabled", reason="account_disabled")
    return issue_tokens(user, family=row.family)


def logout(token: str) -> None:
    """Revoke the family of a refresh token (unknown tokens are ignored: logout is idempotent)."""
    row = RefreshToken.get_or_none(RefreshToken.token_hash == _digest(token))
    if row is not None:
        with atomic():
            revoke_family(row.family, "logout")
