"""Users (customers, staff, admins, couriers) and their refresh tokens."""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.encryption import EncryptedTextField, KeyedHashField

ROLES = ("customer", "staff", "admin", "courier")
CUSTOMER_GROUPS = ("retail", "wholesale")  # price list of a customer's carts (services.orders.pricing)


class User(BaseModel):
    """An account.

    - `email`: stored lower-case; NULL for a phone-first account (seed 002: created by OTP
      login, services.customers.otp_login) until the customer adds one;
    - `password_hash`: an Argon2id PHC string, or "!" (`accounts.NO_PASSWORD`) for an account
      without a password (phone-first, or created by staff): no password verifies against it;
    - `phone`: E.164, encrypted at rest (models.encryption); `phone_hash` is its keyed hash
      (`keyed_hash(phone)`), UNIQUE, the column phone lookups (OTP login) query; NULL when the
      number is not a login identity (no phone, or an older duplicate kept by migration 0013);
    - `phone_verified_at`: when an OTP sent to the number was entered (the number is the
      customer's);
    - `customer_group`: one of CUSTOMER_GROUPS (migration 0019); carts of a `wholesale` customer
      are priced at variants' wholesale prices (seed 000 pricing). Only admins set it.
    """

    id = PrefixedIdField("usr")
    email = peewee.CharField(max_length=254, unique=True, null=True)
    password_hash = peewee.CharField(max_length=255)
    first_name = peewee.CharField(max_length=100, default="")
    last_name = peewee.CharField(max_length=100, default="")
    phone = EncryptedTextField(null=True)
    phone_hash = KeyedHashField("phone", null=True, unique=True)
    phone_verified_at = peewee.DateTimeField(null=True)
    role = peewee.CharField(max_length=16, default="customer", index=True)
    customer_group = peewee.CharField(max_length=16, default="retail", constraints=[peewee.SQL("DEFAULT 'retail'")])
    is_active = peewee.BooleanField(default=True)
    is_verified = peewee.BooleanField(default=False)  # the email address was confirmed (verify-email)
    email_verified_at = peewee.DateTimeField(null=True)
    last_login_at = peewee.DateTimeField(null=True)
    password_changed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


class RefreshToken(BaseModel):
    """An opaque refresh token, stored as its SHA-256 hex digest.

    Tokens of one login share `family`; using a token rotates it (sets
    `used_at`), and presenting a used or revoked token revokes the family.
    """

    id = PrefixedIdField("rtk")
    user = peewee.ForeignKeyField(User, backref="refresh_tokens", on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    family = peewee.CharField(max_length=40, index=True)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class AuthSession(BaseModel):
    """One sign-in (seed 001 sessions): the refresh-token `family` it issued, the device and
    client it came from, when it was created and last seen (login and each refresh), and when
    it was revoked (logout, "revoke", password change or reset, refresh-token reuse). Access
    tokens carry its id (`sid`); a revoked session's access tokens stop working at once."""

    id = PrefixedIdField("ses")
    user = peewee.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    family = peewee.CharField(max_length=40, unique=True)
    device_id = peewee.CharField(max_length=100, null=True)
    platform = peewee.CharField(max_length=30, null=True)  # ios | android | web | ... as the client says
    user_agent = peewee.CharField(max_length=300, null=True)
    ip = peewee.CharField(max_length=45, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_seen_at = peewee.DateTimeField(default=utcnow)
    revoked_at = peewee.DateTimeField(null=True)
    revoked_reason = peewee.CharField(max_length=30, null=True)

    class Meta:
        table_name = "auth_session"
        indexes = ((("user", "revoked_at"), False),)


class AccountToken(BaseModel):
    """A single-use account link (email verification, password reset). The link's token is
    `<id>.<HMAC-SHA256(SECRET_KEY, purpose:id:user:email)>` (services.customers.account_tokens):
    nothing secret is stored, the row makes it single-use (`used_at`) and short-lived
    (`expires_at`), and a changed email invalidates it."""

    id = PrefixedIdField("act")
    user = peewee.ForeignKeyField(User, backref="account_tokens", on_delete="CASCADE")
    purpose = peewee.CharField(max_length=20)  # verify_email | reset_password
    email = peewee.CharField(max_length=254)
    job_id = peewee.CharField(max_length=40, null=True, unique=True)  # the fan-out job that emails it
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "purpose"), False),)


class ApiKey(BaseModel):
    """An integration's credentials (seed 000 `x-api-key` + `x-app-secret`): the id is the public
    `x-api-key`; the secret is shown once and stored as its SHA-256 (`secret_hash`: 256 random
    bits need no slow hash); `scopes` are permissions (services.customers.permissions) the key
    acts with, never more than its `owner` (an admin) holds. `require_signature`: every request
    must also be signed (HMAC of timestamp, method, path and body; 5-minute window; no replay)."""

    id = PrefixedIdField("ck")
    name = peewee.CharField(max_length=100)
    owner = peewee.ForeignKeyField(User, backref="api_keys", on_delete="CASCADE")
    scopes = JSONField(default=list)
    secret_hash = peewee.CharField(max_length=64)
    secret_hint = peewee.CharField(max_length=8)  # the secret's last characters, to tell keys apart
    require_signature = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    rotated_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)


class ApiRequestNonce(BaseModel):
    """A signed request's signature, kept for the signing window so a replay is refused."""

    key = peewee.ForeignKeyField(ApiKey, on_delete="CASCADE")
    signature = peewee.CharField(max_length=64)
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "api_request_nonce"
        primary_key = peewee.CompositeKey("key", "signature")


class MfaFactor(BaseModel):
    """A user's TOTP second factor (seed 001 MFA): the base32 secret (encrypted at rest), when it
    was confirmed (a factor counts only once a code proved the authenticator app has it), the
    last time step a code was accepted for (a code is never accepted twice), and the SHA-256 of
    each unused one-time recovery code."""

    user = peewee.ForeignKeyField(User, primary_key=True, backref="mfa", on_delete="CASCADE")
    secret = EncryptedTextField()
    confirmed_at = peewee.DateTimeField(null=True)
    last_step = peewee.BigIntegerField(default=0)
    recovery_codes = JSONField(default=list)  # SHA-256 hex of each unused code
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "mfa_factor"


class OtpChallenge(BaseModel):
    """A one-time code sent by SMS for phone login (seed 002 send-otp / verify-otp).

    The 6-digit code is never stored: it is derived from SECRET_KEY and the row's id when the
    SMS is rendered (services.customers.otp_login.code_for), and `code_hash` keeps its HMAC for
    the check. `phone` (E.164) is encrypted, `phone_hash` is its keyed hash (the lookup).
    A challenge is good until `expires_at`, for at most `max_attempts` wrong codes
    (`attempts` counts every check), and once (`consumed_at`).
    """

    id = PrefixedIdField("otp")
    phone = EncryptedTextField()
    phone_hash = KeyedHashField("phone")
    code_hash = peewee.CharField(max_length=64)
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField(default=5)
    ip = peewee.CharField(max_length=45, null=True)
    expires_at = peewee.DateTimeField()
    consumed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "otp_challenge"
        indexes = ((("phone_hash", "created_at"), False),)
