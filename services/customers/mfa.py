"""Multi-factor sign-in with TOTP (seed 001 `/auth/mfa/setup`, `/auth/mfa/verify`, `/auth/mfa/disable`).

- `start_setup(user)` -> {"secret", "otpauthUri", "qrCode"}: a new unconfirmed factor (the base32
  secret encrypted at rest; an earlier unconfirmed one is replaced); `qrCode` is a PNG data URI
  of the otpauth URI (qrcode), for the authenticator app to scan.
- `confirm_setup(user, code)` -> 10 recovery codes (shown once, stored as SHA-256): the factor
  counts from then on.
- `challenge_for(user)`: sign-in of a user with a confirmed factor answers a challenge token
  (a 5-minute JWT, `typ` "mfa_challenge") instead of tokens; `complete_challenge(token, code)`
  -> the user, once a TOTP code or an unused recovery code (spent) matches.
- `disable(user, password, code)`: the password and a current code (or a recovery code) remove
  the factor.

TOTP (RFC 6238, pyotp): 30-second steps, 6 digits, SHA-1 (what every authenticator app reads),
one step of clock drift accepted either way, and a step is never accepted twice (`last_step`:
a code seen once is dead, even within its 30 seconds). `MFA_REQUIRED_ROLES` lists the roles
(e.g. staff, admin) whose routes refuse them until they have a confirmed factor.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import logging
import secrets

import jwt
import peewee
import pyotp

import config
from models.db import atomic, utcnow
from models.users import MfaFactor, User
from services.customers.accounts import verify_password
from services.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed

ISSUER = "Cartwheel"
RECOVERY_CODES = 10
CHALLENGE_SECONDS = 300
CHALLENGE_TYPE = "mfa_challenge"

security_log = logging.getLogger("cartwheel.security")


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def factor_of(user_id: str) -> MfaFactor | None:
    """The user's confirmed factor, or None."""
    factor = MfaFactor.get_or_none(MfaFactor.user == user_id)
    return factor if factor is not None and factor.confirmed_at is not None else None


def has_mfa(user_id: str) -> bool:
    """Whether the user signs in with a second factor."""
    return factor_of(user_id) is not None


def _qr_png(uri: str) -> str:
    import qrcode

    image = qrcode.make(uri)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def start_setup(user: User) -> dict:
    """Begin enrolment (see the module docstring). Raises Conflict (`mfa_already_enabled`)."""
    if has_mfa(user.id):
        raise Conflict("MFA is already on; disable it first to enrol another device", reason="mfa_already_enabled")
    secret = pyotp.random_base32()
    with atomic():
        MfaFactor.delete().where(MfaFactor.user == user.id).execute()
        MfaFactor.create(user=user, secret=secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return {"secret": secret, "otpauthUri": uri, "qrCode": _qr_png(uri)}


def _accept_totp(factor: MfaFactor, code: str) -> bool:
    """Whether `code` is the TOTP of a step within one of now and newer than the last accepted;
    records the step (one conditional UPDATE: two concurrent uses of a code, one wins)."""
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(factor.secret)
    now = totp.timecode(dt.datetime.now(dt.timezone.utc))
    for step in (now - 1, now, now + 1):
        if step > factor.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return MfaFactor.update(last_step=step).where(MfaFactor.user == factor.user_id,
                                                          MfaFactor.last_step < step).execute() == 1
    return False


def _accept_recovery(factor: MfaFactor, code: str) -> bool:
    """Whether `code` is an unused recovery code; spends it."""
    digest = _digest(code or "")
    if digest not in factor.recovery_codes:
        return False
    remaining = [c for c in factor.recovery_codes if c != digest]
    stored = peewee.Value(MfaFactor.recovery_codes.db_value(factor.recovery_codes), converter=False)
    return MfaFactor.update(recovery_codes=remaining).where(  # unchanged since read: one use wins
        MfaFactor.user == factor.user_id, MfaFactor.recovery_codes == stored).execute() == 1


def accept_code(factor: MfaFactor, code: str) -> bool:
    """Whether `code` is a current TOTP or an unused recovery code of `factor` (either is then spent),
    for re-authenticating a sensitive request (services.customers.erasure)."""
    return _accept_totp(factor, code) or _accept_recovery(factor, code)


def confirm_setup(user: User, code: str) -> list[str]:
    """Confirm enrolment with a code from the app. Returns the recovery codes (shown once).
    Raises NotFound (`mfa_not_started`), Conflict (`mfa_already_enabled`), ValidationFailed
    (`invalid_mfa_code`)."""
    factor = MfaFactor.get_or_none(MfaFactor.user == user.id)
    if factor is None:
        raise NotFound("Start with POST /auth/mfa/setup", reason="mfa_not_started")
    if factor.confirmed_at is not None:
        raise Conflict("MFA is already on", reason="mfa_already_enabled")
    if not _accept_totp(factor, code):
        raise ValidationFailed("That code is not valid", reason="invalid_mfa_code",
                               details=[{"field": "code", "message": "The 6 digits the app shows now"}])
    codes = ["-".join([secrets.token_hex(3), secrets.token_hex(3)]) for _ in range(RECOVERY_CODES)]
    MfaFactor.update(confirmed_at=utcnow(), recovery_codes=[_digest(c) for c in codes]).where(
        MfaFactor.user == user.id).execute()
    security_log.info("mfa_enabled", extra={"user_id": user.id})
    return codes


def challenge_for(user: User) -> dict:
    """{"mfaRequired": true, "challengeToken", "expiresIn"} for a sign-in that needs its second factor."""
    settings = config.get()
    now = dt.datetime.now(dt.timezone.utc)
    token = jwt.encode({"sub": user.id, "typ": CHALLENGE_TYPE, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
                        "iat": now, "exp": now + dt.timedelta(seconds=CHALLENGE_SECONDS)},
                       settings.secret_key, algorithm="HS256")
    return {"mfaRequired": True, "challengeToken": token, "expiresIn": CHALLENGE_SECONDS}


def complete_challenge(challenge_token: str, code: str) -> User:
    """The user a challenge token names, once `code` (TOTP or recovery) matches. Raises
    AuthenticationFailed (`invalid_mfa_challenge`, `invalid_mfa_code`)."""
    settings = config.get()
    try:
        claims = jwt.decode(challenge_token, settings.secret_key, algorithms=["HS256"], audience=settings.jwt_audience,
                            issuer=settings.jwt_issuer, options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        raise AuthenticationFailed("The sign-in challenge is invalid or expired; sign in again",
                                   reason="invalid_mfa_challenge") from None
    if claims.get("typ") != CHALLENGE_TYPE:
        raise AuthenticationFailed("Not a sign-in challenge", reason="invalid_mfa_challenge")
    user = User.get_or_none(User.id == claims["sub"])
    factor = factor_of(claims["sub"])
    if user is None or not user.is_active or factor is None:
        raise AuthenticationFailed("The sign-in challenge is invalid; sign in again", reason="invalid_mfa_challenge")
    if not (_accept_totp(factor, code) or _accept_recovery(factor, code)):
        security_log.warning("mfa_failed", extra={"user_id": user.id})
        raise AuthenticationFailed("That code is not valid", reason="invalid_mfa_code")
    return user


def disable(user: User, password: str, code: str) -> None:
    """Turn MFA off. Raises NotFound (`mfa_not_enabled`), AuthenticationFailed
    (`invalid_credentials`, `invalid_mfa_code`)."""
    factor = factor_of(user.id)
    if factor is None:
        raise NotFound("MFA is not on", reason="mfa_not_enabled")
    if not verify_password(user, password):
        raise AuthenticationFailed("The password is wrong", reason="invalid_credentials")
    if not (_accept_totp(factor, code) or _accept_recovery(factor, code)):
        raise AuthenticationFailed("That code is not valid", reason="invalid_mfa_code")
    MfaFactor.delete().where(MfaFactor.user == user.id).execute()
    security_log.info("mfa_disabled", extra={"user_id": user.id})


def mfa_required_for(user: User) -> bool:
    """Whether `user`'s role must use MFA (`MFA_REQUIRED_ROLES`) and they have no factor yet."""
    return user.role in config.get().mfa_required_roles and not has_mfa(user.id)
