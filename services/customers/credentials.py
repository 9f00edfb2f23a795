"""Passwords and email ownership: change, forgot / reset, email verification.

- `change_password(user, current, new, session_id)`: the current password is required; the
  new one passes the policy (services.customers.passwords); every OTHER session is signed
  out (`password_changed`), unused reset links die, and a security notice is emailed.
- `request_password_reset(email)`: writes one `account.password_reset` event job and nothing
  else, whether or not an account has that email: the answer and the request's work are the
  same either way; the job looks the account up and emails a 30-minute single-use link
  (services.customers.account_tokens).
- `reset_password(token, new)`: spends the link (the new password is checked first, so a
  refused one does not burn it), sets the password, marks the email verified (the link
  proved it), signs out EVERY session (`password_reset`) and emails the notice.
- `request_verification(user)` / `verify_email(token)`: the 24-hour confirmation link, sent at
  registration and on demand; verifying sets `is_verified` and `email_verified_at`.
"""

from __future__ import annotations

from models.db import atomic, isoformat, utcnow
from models.users import User
from services.customers import account_tokens, sessions
from services.customers.accounts import hash_password, verify_password
from services.customers.passwords import check_password
from services.errors import AuthenticationFailed, Conflict, ValidationFailed
from services.platform import events


def _set_password(user: User, new_password: str, reason: str, keep_session: str | None, **fields) -> int:
    """Store the new password, end the sessions (all but `keep_session`), kill unused reset
    links, email the notice. Returns how many sessions were signed out."""
    now = utcnow()
    with atomic():
        User.update(password_hash=hash_password(new_password), password_changed_at=now, updated_at=now,
                    **fields).where(User.id == user.id).execute()
        revoked = sessions.revoke_all_sessions(user.id, reason=reason, keep=keep_session)
        account_tokens.revoke_unused(user.id, "reset_password")
        events.emit("account.password_changed", user.id,
                    {"changedAt": isoformat(now), "how": "reset" if reason == "password_reset" else "changed"})
    return revoked


def change_password(user: User, current_password: str, new_password: str, session_id: str | None) -> int:
    """Change `user`'s password; the session `session_id` (the caller's) stays signed in.
    Returns how many other sessions were signed out. Raises AuthenticationFailed
    (`invalid_credentials`: wrong current password), ValidationFailed (`weak_password`,
    `password_unchanged`)."""
    if not verify_password(user, current_password):
        raise AuthenticationFailed("The current password is wrong", reason="invalid_credentials")
    if new_password == current_password:
        raise ValidationFailed("The new password must differ from the current one", reason="password_unchanged",
                               details=[{"field": "newPassword", "message": "Same as the current password"}])
    check_password(new_password, user.email, (user.first_name, user.last_name))
    return _set_password(user, new_password, "password_changed", session_id)


def request_password_reset(email: str) -> None:
    """Ask for a reset link for `email` (see the module docstring: the same whether or not it exists)."""
    with atomic():
        events.emit("account.password_reset", "", {"email": email.strip().lower()[:254]})


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset link. Returns the user. Raises ValidationFailed
    (`invalid_account_token`, `weak_password`)."""
    def acceptable(user: User) -> None:
        check_password(new_password, user.email, (user.first_name, user.last_name))

    with atomic():
        user = account_tokens.redeem(token, "reset_password", check=acceptable)
        _set_password(user, new_password, "password_reset", None, is_verified=True,
                      email_verified_at=user.email_verified_at or utcnow())
    return User.get_by_id(user.id)


def request_verification(user: User) -> None:
    """Email `user` a confirmation link. Raises Conflict (`email_already_verified`),
    ValidationFailed (422 `no_email`: a phone-first account without an email address)."""
    if not user.email:
        raise ValidationFailed("This account has no email address to confirm", reason="no_email")
    if user.is_verified:
        raise Conflict("This email address is already verified", reason="email_already_verified")
    with atomic():
        events.emit("account.verify_email", user.id)


def verify_email(token: str) -> User:
    """Confirm the email address a verification link was sent to. Returns the user. Raises
    ValidationFailed (`invalid_account_token`)."""
    with atomic():
        user = account_tokens.redeem(token, "verify_email")
        now = utcnow()
        User.update(is_verified=True, email_verified_at=now, updated_at=now).where(User.id == user.id).execute()
    return User.get_by_id(user.id)
