"""A phone number as an account's identity: the columns it is written to and how it is found.

`User.phone` holds the E.164 number encrypted; `User.phone_hash` its keyed hash
(models.encryption.keyed_hash), UNIQUE, so one number belongs to at most one account, the one
OTP login signs in (Shopify and Medusa also keep a customer's phone unique). Every write of a
phone goes through `phone_columns` (registration, profile update, staff-created customers,
OTP sign-up), and an IntegrityError on `phone_hash` is answered `phone_taken_error()`.
"""

from __future__ import annotations

from models.encryption import keyed_hash, lookup_hashes
from models.users import User
from services.errors import Conflict


def phone_columns(phone: str | None, verified_at=None) -> dict:
    """The User columns for `phone` (E.164, already normalised; None clears it):
    `{"phone", "phone_hash", "phone_verified_at"}`. A new number is unverified unless
    `verified_at` (a datetime: an OTP to it was just entered) says otherwise."""
    if not phone:
        return {"phone": None, "phone_hash": None, "phone_verified_at": None}
    return {"phone": phone, "phone_hash": keyed_hash(phone), "phone_verified_at": verified_at}


def find_by_phone(phone: str) -> User | None:
    """The account whose login phone is `phone` (E.164), active or not, or None. Matches hashes
    made under any configured PII key (a key rotation in progress)."""
    return User.select().where(User.phone_hash.in_(lookup_hashes(phone))).first()


def is_phone_conflict(error: Exception) -> bool:
    """Whether an IntegrityError was raised by the UNIQUE `user.phone_hash` (rather than the email)."""
    return "phone_hash" in str(error)


def phone_taken_error() -> Conflict:
    """409 `phone_taken`: the number is another account's."""
    return Conflict("Another account uses this phone number", reason="phone_taken",
                    details=[{"field": "phone", "message": "Already in use"}])
