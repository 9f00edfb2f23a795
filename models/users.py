"""Users (customers, staff, admins, couriers) and their refresh tokens."""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow

ROLES = ("customer", "staff", "admin", "courier")


class User(BaseModel):
    """An account. `password_hash` is an Argon2id PHC string; `email` is stored lower-case."""

    id = PrefixedIdField("usr")
    email = peewee.CharField(max_length=254, unique=True)
    password_hash = peewee.CharField(max_length=255)
    first_name = peewee.CharField(max_length=100, default="")
    last_name = peewee.CharField(max_length=100, default="")
    phone = peewee.CharField(max_length=32, null=True)
    role = peewee.CharField(max_length=16, default="customer", index=True)
    is_active = peewee.BooleanField(default=True)
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
