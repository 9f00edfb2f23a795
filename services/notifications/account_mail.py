"""Account mail (the `account.*` events): who gets it and the link it carries.

- `account.verify_email` (subject: user id): the email confirmation link, to an active account
  not yet verified (`already_verified` otherwise).
- `account.password_reset` (data: {"email"}): the reset link, to the active account with that
  email; none is skipped as `no_account`, so forgot-password answers the same either way and
  its request costs the same (the lookup happens here, in the job).
- `account.password_changed` (subject: user id; data {"changedAt", "how": changed | reset}): a
  security notice, no link.

The links come from services.customers.account_tokens (one per fan-out job: a re-run mails
the same link). These events are transactional: sent by email whatever the preferences say.
"""

from __future__ import annotations

from models.db import isoformat, utcnow
from models.users import User
from services.customers import account_link


def _active(**where) -> User | None:
    query = User.select().where(User.is_active == True)  # noqa: E712
    for name, value in where.items():
        query = query.where(getattr(User, name) == value)
    return query.first()


def resolve(event: str, subject_id: str, data: dict, job_id: str) -> tuple[User | None, dict, str | None]:
    """(recipient user, extra template context, skip reason) for an `account.*` event."""
    if event == "account.password_reset":
        email = str((data or {}).get("email") or "").strip().lower()
        user = _active(email=email) if email else None
        if user is None:
            return None, {}, "no_account"
        return user, {"account": account_link(user, "reset_password", job_id)}, None
    user = _active(id=subject_id)
    if user is None:
        return None, {}, "subject_not_found"
    if event == "account.verify_email":
        if user.is_verified:
            return None, {}, "already_verified"
        return user, {"account": account_link(user, "verify_email", job_id)}, None
    data = data or {}
    return user, {"account": {"changedAt": data.get("changedAt") or isoformat(utcnow()),
                              "how": "reset" if data.get("how") == "reset" else "changed"}}, None
