"""Accounts: Argon2id passwords, registration, the demo/CLI admin, sign-in and lookup.

Every password set here passes the policy of `services.customers.passwords` first."""

from __future__ import annotations

import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.db import atomic, utcnow
from models.users import ROLES, User
from services.customers.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password  # noqa: F401
from services.customers.phone_identity import is_phone_conflict, phone_columns, phone_taken_error
from services.customers.profiles import normalise_phone
from services.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed

NO_PASSWORD = "!"  # the password hash of an account without a password: not an Argon2 hash, never verifies
_hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory defaults
_DUMMY_HASH = _hasher.hash("cartwheel-timing-equaliser")


def hash_password(password: str) -> str:
    """An Argon2id PHC string for `password`."""
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Whether `password` is `user`'s (Argon2 verification of the stored hash)."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def register_user(email: str, password: str, first_name: str = "", last_name: str = "", phone: str | None = None,
                  role: str = "customer") -> User:
    """Create an account; `phone` (optional) is normalised to E.164 and must not be another
    account's. Raises Conflict (409: `email_taken`, `phone_taken`) or ValidationFailed (422:
    `weak_password`, see `passwords.check_password`, judged against the email and names;
    `invalid_phone`; `bad_role`)."""
    check_password(password, _normalise_email(email), (first_name, last_name))
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role {role!r}", reason="bad_role")
    email = _normalise_email(email)
    phone = normalise_phone(phone) if phone else None
    try:
        with atomic():
            return User.create(email=email, password_hash=hash_password(password), first_name=first_name,
                               last_name=last_name, role=role, **phone_columns(phone))
    except peewee.IntegrityError as error:
        raise (phone_taken_error() if is_phone_conflict(error) else email_taken_error()) from None


def email_taken_error() -> Conflict:
    """409 `email_taken`: another account has this email address."""
    return Conflict("An account with this email already exists", reason="email_taken",
                    details=[{"field": "email", "message": "Already registered"}])


def ensure_admin(email: str, password: str) -> User:
    """Create an admin, or make an existing account admin with this password (CLI and demo).
    Raises ValidationFailed (422 `weak_password`, see `passwords.check_password`)."""
    email = _normalise_email(email)
    check_password(password, email)
    user = User.get_or_none(User.email == email)
    if user is None:
        return register_user(email, password, role="admin")
    User.update(role="admin", password_hash=hash_password(password), updated_at=utcnow()).where(
        User.id == user.id).execute()
    return User.get_by_id(user.id)


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials. Raises AuthenticationFailed (same message for
    unknown email, wrong password and an account without a password; the hash is checked
    either way to keep timing flat)."""
    user = User.get_or_none(User.email == _normalise_email(email))
    usable = user is not None and user.password_hash != NO_PASSWORD
    try:
        _hasher.verify(user.password_hash if usable else _DUMMY_HASH, password)
        if not usable:
            user = None
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise AuthenticationFailed("Invalid email or password", reason="invalid_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=hash_password(password)).where(User.id == user.id).execute()
    return user


def get_user(user_id: str) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("User not found", reason="user_not_found")
    return user
