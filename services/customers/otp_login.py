"""OTP phone login (seed 002 `POST /auth/send-otp`, `POST /auth/verify-otp`).

`send_code(raw_phone, region, ip)` normalises the number to E.164 (phonenumbers), writes an
`OtpChallenge` and, in the same transaction, the `account.otp` event whose fan-out texts the
code through the notification system (Twilio, or the console provider when embedded).
`verify_code(raw_phone, code, region)` checks the newest live challenge for the number and
returns the account it signs in, creating a phone-first one (no email, no password) on first
use; the web layer then issues tokens (or the MFA challenge) exactly as after a password login.

The code is never stored. It is `code_for(challenge_id)`: HMAC-SHA256(SECRET_KEY, "otp:" + id)
read as a number mod 10^6, six digits; the challenge keeps `HMAC(SECRET_KEY, "otp-check:" +
id + ":" + code)` to compare in constant time, and the SMS is rendered from the id at send
time with its stored copy redacted (services.notifications.account_mail). So nothing in the
database (challenge, event job, notification) reads as the code.

Limits (settings): a code is good for OTP_TTL_SECONDS (300), for OTP_MAX_ATTEMPTS (5) checks
(every check counts, right or wrong, with one conditional UPDATE, so concurrent guesses cannot
exceed it) and once; sending again to a number within OTP_RESEND_SECONDS (60) of the last code,
or more than OTP_MAX_PER_HOUR (5) codes to it in an hour, is refused with 429 and Retry-After.
A new code supersedes the older ones (only the newest live challenge is checked). Beside these,
the per-IP auth rate limit of web.limits applies to both routes. At 5 checks per code and 5
codes per hour, a guesser gets 25 tries an hour at a one-in-a-million code.

Answers do not tell whether the number has an account: send-otp answers the same either way,
and verify-otp creates the account only once the code proved the number is the caller's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import peewee

import config
from models.db import atomic, database, is_postgres, utcnow
from models.encryption import lookup_hashes
from models.users import OtpChallenge, User
from services.customers.accounts import NO_PASSWORD
from services.customers.phone_identity import find_by_phone, phone_columns
from services.customers.profiles import normalise_phone
from services.errors import AuthenticationFailed, TooManyAttempts
from services.platform import events

CODE_DIGITS = 6


def _mac(message: str) -> str:
    return hmac.new(config.get().secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def code_for(challenge_id: str) -> str:
    """The 6-digit code of challenge `challenge_id` (derived, never stored; see the module doc)."""
    return str(int(_mac(f"otp:{challenge_id}"), 16) % 10 ** CODE_DIGITS).zfill(CODE_DIGITS)


def _check_hash(challenge_id: str, code: str) -> str:
    return _mac(f"otp-check:{challenge_id}:{code}")


def mask(phone: str) -> str:
    """`+2010******89`: the country code and first digits, the last two, stars between."""
    return phone[:5] + "*" * max(0, len(phone) - 7) + phone[-2:]


def _send_wait(hashes: list[str], now: dt.datetime) -> int:
    """Seconds before another code may be sent to the number whose keyed hashes are `hashes` (0: now)."""
    settings = config.get()
    recent = list(OtpChallenge.select(OtpChallenge.created_at)
                  .where(OtpChallenge.phone_hash.in_(hashes), OtpChallenge.created_at > now - dt.timedelta(hours=1))
                  .order_by(OtpChallenge.created_at.desc()))
    waits = [0]
    if recent:
        waits.append(settings.otp_resend_seconds - (now - recent[0].created_at).total_seconds())
    if len(recent) >= settings.otp_max_per_hour:
        waits.append(3600 - (now - recent[settings.otp_max_per_hour - 1].created_at).total_seconds())
    return max(0, int(max(waits) + 0.999))


def send_code(raw_phone: str, region: str | None = None, ip: str | None = None) -> dict:
    """Text a login code to `raw_phone` (E.164, or national in ISO country `region`).

    Returns `{"phone": masked E.164, "expiresIn": seconds, "resendIn": seconds, "codeLength": 6}`.
    Raises ValidationFailed (422 `invalid_phone`), TooManyAttempts (429 `otp_cooldown`: a code
    was sent to the number too recently, or too many this hour; `retry_after` says when).
    """
    settings = config.get()
    phone = normalise_phone(raw_phone, region)
    hashes = lookup_hashes(phone)
    now = utcnow()
    with atomic():
        if is_postgres():  # one sender per number at a time: the cooldown check and the insert are one step
            database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (hashes[0],))
        wait = _send_wait(hashes, now)
        if wait:
            raise TooManyAttempts("A code was sent to this number recently; wait before asking again", wait,
                                  reason="otp_cooldown")
        challenge = OtpChallenge(phone=phone, phone_hash=hashes[0], max_attempts=settings.otp_max_attempts,
                                 ip=ip, expires_at=now + dt.timedelta(seconds=settings.otp_ttl_seconds),
                                 created_at=now)
        challenge.code_hash = _check_hash(challenge.id, code_for(challenge.id))
        challenge.save(force_insert=True)
        events.emit("account.otp", challenge.id)
    return {"phone": mask(phone), "expiresIn": settings.otp_ttl_seconds, "resendIn": settings.otp_resend_seconds,
            "codeLength": CODE_DIGITS}


def _invalid() -> AuthenticationFailed:
    return AuthenticationFailed("The code is wrong or has expired; ask for a new one", reason="invalid_otp")


def _spend_attempt(challenge: OtpChallenge) -> bool:
    """Count one check against the challenge; False when none was left (or it was used)."""
    return bool(OtpChallenge.update(attempts=OtpChallenge.attempts + 1)
                .where(OtpChallenge.id == challenge.id, OtpChallenge.attempts < OtpChallenge.max_attempts,
                       OtpChallenge.consumed_at.is_null()).execute())


def _sign_up(phone: str, now: dt.datetime) -> User:
    """The phone-first account for `phone` (seed 002): no email, no password, the number verified."""
    try:
        with atomic():
            return User.create(email=None, password_hash=NO_PASSWORD, role="customer",
                               **phone_columns(phone, verified_at=now))
    except peewee.IntegrityError:  # created meanwhile (another code for the same number)
        return find_by_phone(phone)


def verify_code(raw_phone: str, code: str, region: str | None = None) -> tuple[User, bool]:
    """The account `code` signs in for `raw_phone`, and whether it was created now.

    Checks the newest unexpired, unused challenge of the number: one attempt is spent whatever
    the outcome; the right code consumes the challenge (once, under concurrency) and marks the
    number verified. Raises ValidationFailed (422 `invalid_phone`), AuthenticationFailed (401
    `invalid_otp`: no live code, a wrong code or none left; `account_disabled`).
    """
    phone = normalise_phone(raw_phone, region)
    now = utcnow()
    challenge = (OtpChallenge.select()
                 .where(OtpChallenge.phone_hash.in_(lookup_hashes(phone)), OtpChallenge.consumed_at.is_null(),
                        OtpChallenge.expires_at > now)
                 .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id.desc()).first())
    code = (code or "").strip()
    if challenge is None or not _spend_attempt(challenge):
        raise _invalid()
    if not hmac.compare_digest(_check_hash(challenge.id, code), challenge.code_hash):
        raise _invalid()
    consumed = (OtpChallenge.update(consumed_at=now)
                .where(OtpChallenge.id == challenge.id, OtpChallenge.consumed_at.is_null()).execute())
    if not consumed:
        raise _invalid()
    user = find_by_phone(phone)
    created = user is None
    if created:
        user = _sign_up(phone, now)
    elif user.phone_verified_at is None:
        User.update(phone_verified_at=now, updated_at=now).where(User.id == user.id).execute()
        user.phone_verified_at = user.updated_at = now
    if not user.is_active:
        raise AuthenticationFailed("This account is disabled", reason="account_disabled")
    return user, created
