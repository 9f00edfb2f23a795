"""Customers: users (with or without a real password hash) and their access tokens."""

from __future__ import annotations

from models.db import new_id
from models.users import User
from services import customers


def make_user(email=None, password="correct-horse-9", role="customer") -> User:
    return customers.register_user(email or f"{new_id('u').lower()}@example.com", password, "Test", "User", role=role)


def token_for(user: User) -> str:
    return customers.issue_access_token(user)


def quick_user(role="customer", **fields) -> User:
    """A user without the (slow, here irrelevant) Argon2 password hash."""
    return User.create(**{"email": f"{new_id('u').lower()}@example.com", "password_hash": "!", "first_name": "Test",
                          "role": role, **fields})
