"""Account mail (the `account.*` events): who gets it and the link it carries.

- `account.verify_email` (subject: user id): the email confirmation link, to an active account
  not yet verified (`already_verified` otherwise).
- `account.password_reset` (data: {"email"}): the reset link, to the active account with that
  email; none is skipped as `no_account`, so forgot-password answers the same either way and
  its request costs the same (the lookup happens here, in the job).
- `account.password_changed` (subject: user id; data {"changedAt", "how": changed | reset}): a
  security notice, no link.
- `account.otp` (subject: OTP challenge id): the login code, by SMS to the challenge's number
  (`otp_message`). The stored context has only the challenge id; `reveal` adds the code when
  the message is rendered for sending, and the notification keeps a redacted copy of the text
  (the event is `secret`), so the code is in no database row (the console provider's outbox,
  for development, keeps what it "sent").

The links come from services.customers.account_tokens (one per fan-out job: a re-run mails
the same link). These events are transactional: sent by email whatever the preferences say.
"""

from __future__ import annotations

import math

from models.db import isoformat, utcnow
from models.users import OtpChallenge, User
from services.customers import account_link, otp_code_for

REDACTED = "[one-time code: sent, not stored]"


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


def otp_message(challenge_id: str) -> tuple[str | None, dict, str | None]:
    """(E.164 number, extra template context, skip reason) for an `account.otp` event:
    `{"otp": {"challengeId", "expiresInMinutes"}}`; a used or expired challenge is skipped
    (`otp_not_live`), a missing one `subject_not_found`."""
    challenge = OtpChallenge.get_or_none(OtpChallenge.id == challenge_id)
    if challenge is None:
        return None, {}, "subject_not_found"
    left = (challenge.expires_at - utcnow()).total_seconds()
    if challenge.consumed_at is not None or left <= 0:
        return None, {}, "otp_not_live"
    return challenge.phone, {"otp": {"challengeId": challenge.id,
                                     "expiresInMinutes": max(1, math.ceil(left / 60))}}, None


def reveal(context: dict) -> dict:
    """The template context of a `secret` event's message with its secret added for rendering
    (`otp.code` from the challenge id); the result is never stored."""
    otp = dict(context.get("otp") or {})
    if otp.get("challengeId"):
        otp["code"] = otp_code_for(otp["challengeId"])
    return {**context, "otp": otp}
