"""Sessions (seed 001 `GET /auth/sessions`, `DELETE /auth/sessions/{id}`, `DELETE /auth/sessions/all`):
one `AuthSession` per sign-in, owning the refresh-token family the sign-in issued.

Access tokens carry the session id (`sid`); `services.customers.tokens.authenticate_access_token`
reads the user and the session in ONE query, so a revoked session's access tokens stop working
on their next request (no revocation list to replicate, the same answer from every process,
and no extra statement per request). Revoking a session also revokes its refresh-token
family. `last_seen_at` moves at sign-in and at each refresh (every `JWT_ACCESS_TTL_SECONDS`
at most for an active client), which is as precise as "active 10 minutes ago" needs.

Revocation reasons: `logout`, `revoked` (by its owner), `revoked_all`, `password_changed`,
`password_reset`, `refresh_token_reused`, `account_disabled`.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.db import isoformat, new_id, utcnow
from models.users import AuthSession, RefreshToken, User
from services.errors import NotFound


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from: the client's `device_id` and `platform` (seed 001 deviceInfo,
    as the app reports them), its User-Agent and IP address (as the API saw them)."""

    device_id: str | None = None
    platform: str | None = None
    user_agent: str | None = None
    ip: str | None = None


def open_session(user: User, client: Client | None = None) -> AuthSession:
    """A new session (and refresh-token family id) for a sign-in of `user`."""
    client = client or Client()
    now = utcnow()
    return AuthSession.create(user=user, family=new_id("fam"), device_id=client.device_id,
                              platform=client.platform, user_agent=(client.user_agent or "")[:300] or None,
                              ip=client.ip, created_at=now, last_seen_at=now)


def session_of_family(family: str) -> AuthSession | None:
    """The session that owns refresh-token family `family` (None for a family from before sessions)."""
    return AuthSession.get_or_none(AuthSession.family == family)


def seen(session_id: str) -> None:
    """Record that the session was just used (a refresh)."""
    AuthSession.update(last_seen_at=utcnow()).where(AuthSession.id == session_id).execute()


def _revoke(where, reason: str) -> int:
    """Revoke the active sessions matching `where` and their refresh tokens; returns how many sessions."""
    now = utcnow()
    families = [s.family for s in AuthSession.select(AuthSession.family).where(where, AuthSession.revoked_at.is_null())]
    if not families:
        return 0
    AuthSession.update(revoked_at=now, revoked_reason=reason).where(
        AuthSession.family.in_(families), AuthSession.revoked_at.is_null()).execute()
    RefreshToken.update(revoked_at=now).where(RefreshToken.family.in_(families),
                                              RefreshToken.revoked_at.is_null()).execute()
    return len(families)


def revoke_family_session(family: str, reason: str) -> int:
    """Revoke the active session owning refresh-token family `family`, and its refresh tokens
    (logout, reuse detection); returns 1, or 0 when there was no active session."""
    return _revoke(AuthSession.family == family, reason)


def revoke_session(user: User, session_id: str) -> None:
    """Revoke one of `user`'s sessions (idempotent for a session already revoked).
    Raises NotFound (`session_not_found`) for an id that is not one of theirs."""
    if not AuthSession.select().where(AuthSession.id == session_id, AuthSession.user == user.id).exists():
        raise NotFound("Session not found", reason="session_not_found")
    _revoke(AuthSession.id == session_id, "revoked")


def revoke_all_sessions(user_id: str, reason: str = "revoked_all", keep: str | None = None) -> int:
    """Revoke every active session of the user except `keep` (a session id); returns how many."""
    where = AuthSession.user == user_id
    if keep:
        where &= AuthSession.id != keep
    return _revoke(where, reason)


def list_sessions(user: User) -> list[AuthSession]:
    """The user's active sessions, most recently seen first."""
    return list(AuthSession.select().where(AuthSession.user == user.id, AuthSession.revoked_at.is_null())
                .order_by(AuthSession.last_seen_at.desc(), AuthSession.id))


def session_view(session: AuthSession, current_id: str | None = None) -> dict:
    """API shape: {"id", "device": {"deviceId", "platform", "userAgent"}, "ip", "createdAt",
    "lastSeenAt", "current"}."""
    return {"id": session.id,
            "device": {"deviceId": session.device_id, "platform": session.platform, "userAgent": session.user_agent},
            "ip": session.ip, "createdAt": isoformat(session.created_at), "lastSeenAt": isoformat(session.last_seen_at),
            "current": session.id == current_id}
