"""Single-use account links: email verification and password reset.

A link's token is `<row id>.<signature>`, the signature being
HMAC-SHA256(SECRET_KEY, "purpose:row id:user id:email") in URL-safe base64. Nothing secret is
stored: the `AccountToken` row makes the token single-use (`used_at`) and short-lived
(`expires_at`), the email in the signature makes it die with an email change, and the
notification job that emails it recomputes the token from the row id
(`token_for(row)`), so neither the request, the job payload nor the event holds it. One row per
notification job (`issue_for_job`): a re-run of the job finds its row again.

Lifetimes (seconds): `TTL["verify_email"]` = 24 h, `TTL["reset_password"]` = 30 min (OWASP's
Forgot Password cheat sheet: short-lived, single use, invalidated by a later reset).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import config
from models.db import atomic, isoformat, utcnow
from models.users import AccountToken, User
from services.errors import ValidationFailed

PURPOSES = ("verify_email", "reset_password")
TTL = {"verify_email": 24 * 3600, "reset_password": 30 * 60}  # seconds


def _signature(purpose: str, row_id: str, user_id: str, email: str) -> str:
    message = f"{purpose}:{row_id}:{user_id}:{email}".encode()
    digest = hmac.new(config.get().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_for_job(user: User, purpose: str, job_id: str) -> AccountToken:
    """The link row the notification job `job_id` emails to `user`: created on the job's first run
    (the earlier unused links of the same purpose stop working), the same row on a re-run, so a
    retried fan-out never kills the link it already sent."""
    existing = AccountToken.get_or_none(AccountToken.job_id == job_id)
    if existing is not None:
        return existing
    now = utcnow()
    with atomic():
        AccountToken.update(used_at=now).where(AccountToken.user == user.id, AccountToken.purpose == purpose,
                                               AccountToken.used_at.is_null()).execute()
        return AccountToken.create(user=user, purpose=purpose, email=user.email, job_id=job_id, created_at=now,
                                   expires_at=now + dt.timedelta(seconds=TTL[purpose]))


def token_for(row: AccountToken) -> str:
    """The token of a link row (what the emailed link carries)."""
    return f"{row.id}.{_signature(row.purpose, row.id, row.user_id, row.email)}"


def redeem(token: str, purpose: str, check=None) -> User:
    """Spend a link: returns its active user, once. `check(user)`, when given, runs before the link
    is spent (so a rejected new password does not burn the link). Raises ValidationFailed
    (`invalid_account_token`: malformed, forged, used, expired, of another purpose, or the
    account's email changed) and whatever `check` raises."""
    invalid = ValidationFailed("This link is invalid or has expired; ask for a new one",
                               reason="invalid_account_token", details=[{"field": "token", "message": "Invalid"}])
    row_id, _, signature = (token or "").partition(".")
    row = AccountToken.get_or_none(AccountToken.id == row_id) if row_id and signature else None
    if row is None or row.purpose != purpose:
        raise invalid
    if not hmac.compare_digest(signature, _signature(row.purpose, row.id, row.user_id, row.email)):
        raise invalid
    user = User.get_or_none(User.id == row.user_id)
    now = utcnow()
    if user is None or not user.is_active or user.email != row.email or row.used_at or row.expires_at <= now:
        raise invalid
    if check is not None:
        check(user)
    spent = AccountToken.update(used_at=now).where(AccountToken.id == row.id, AccountToken.used_at.is_null(),
                                                   AccountToken.expires_at > now).execute()
    if not spent:  # a concurrent redemption won
        raise invalid
    return user


def revoke_unused(user_id: str, purpose: str) -> int:
    """Make every unused link of `purpose` of the user unusable; returns how many."""
    return AccountToken.update(used_at=utcnow()).where(AccountToken.user == user_id, AccountToken.purpose == purpose,
                                                       AccountToken.used_at.is_null()).execute()


PAGES = {"verify_email": "/verify-email", "reset_password": "/reset-password"}  # storefront pages


def link_for(user: User, purpose: str, job_id: str) -> dict:
    """What the email of notification job `job_id` shows: {"link": STOREFRONT_URL + page +
    "?token=...", "token", "expiresAt", "validMinutes"} (`issue_for_job`'s row)."""
    row = issue_for_job(user, purpose, job_id)
    token = token_for(row)
    return {"link": f"{config.get().storefront_url}{PAGES[purpose]}?token={token}", "token": token,
            "expiresAt": isoformat(row.expires_at), "validMinutes": TTL[purpose] // 60}
