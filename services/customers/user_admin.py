"""Admins manage accounts: list and search users, assign roles and customer groups (retail or
wholesale pricing), disable and enable accounts.

Disabling an account signs out every one of its sessions at once (`account_disabled`); a
disabled account cannot sign in or refresh (services.customers.accounts, tokens). An admin
cannot change their own role or disable themselves (so a shop never locks out its last admin
by mistake); another admin can.
"""

from __future__ import annotations

import peewee

from models.db import atomic, isoformat, utcnow
from models.users import CUSTOMER_GROUPS, ROLES, User
from services.customers import sessions
from services.errors import Conflict, NotFound, ValidationFailed


def admin_user_view(user: User) -> dict:
    """{"id", "email", "firstName", "lastName", "phone", "role", "customerGroup", "isActive",
    "isVerified", "lastLogin", "createdAt"}."""
    return {"id": user.id, "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
            "phone": user.phone, "role": user.role, "customerGroup": user.customer_group,
            "isActive": user.is_active, "isVerified": user.is_verified,
            "lastLogin": isoformat(user.last_login_at), "createdAt": isoformat(user.created_at)}


def list_users(q: str | None = None, role: str | None = None, is_active: bool | None = None,
               page: int = 1, limit: int = 20) -> tuple[list[User], int]:
    """A page of users (newest first) and the total: `q` matches the start of the email, first
    or last name (case-insensitive)."""
    query = User.select()
    if q and q.strip():
        term = q.strip().lower()
        query = query.where(User.email.startswith(term) | peewee.fn.LOWER(User.first_name).startswith(term)
                            | peewee.fn.LOWER(User.last_name).startswith(term))
    if role:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active == is_active)
    rows = list(query.order_by(User.created_at.desc(), User.id).paginate(page, limit))
    return rows, query.count()


def _target(admin: User, user_id: str) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("User not found", reason="user_not_found")
    if user.id == admin.id:
        raise Conflict("You cannot change your own role or status", reason="own_account")
    return user


def _set_choice(admin: User, user_id: str, column, value: str, allowed: tuple, what: str, field: str,
                reason: str) -> User:
    """Set `column` of `user_id` to `value`, one of `allowed` (else ValidationFailed `reason` on
    `field`, naming `what`). Raises NotFound, Conflict (`own_account`)."""
    if value not in allowed:
        raise ValidationFailed(f"Unknown {what} {value!r}", reason=reason,
                               details=[{"field": field, "message": f"One of {', '.join(allowed)}"}])
    user = _target(admin, user_id)
    with atomic():
        User.update({column: value, User.updated_at: utcnow()}).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def set_role(admin: User, user_id: str, role: str) -> User:
    """Give `user_id` `role` (one of models.users.ROLES). Raises NotFound, Conflict (`own_account`),
    ValidationFailed (`bad_role`)."""
    return _set_choice(admin, user_id, User.role, role, ROLES, "role", "role", reason="bad_role")


def set_customer_group(admin: User, user_id: str, group: str) -> User:
    """Put `user_id` in customer group `group` (models.users.CUSTOMER_GROUPS: `retail` or
    `wholesale`; a wholesale customer's carts are priced at variants' wholesale prices,
    services.orders.pricing). Raises NotFound, Conflict (`own_account`), ValidationFailed
    (`bad_customer_group`)."""
    return _set_choice(admin, user_id, User.customer_group, group, CUSTOMER_GROUPS, "customer group",
                       "customerGroup", reason="bad_customer_group")


def set_active(admin: User, user_id: str, active: bool) -> User:
    """Enable or disable `user_id`; disabling signs out all of its sessions. Raises NotFound,
    Conflict (`own_account`)."""
    user = _target(admin, user_id)
    with atomic():
        User.update(is_active=active, updated_at=utcnow()).where(User.id == user.id).execute()
        if not active:
            sessions.revoke_all_sessions(user.id, reason="account_disabled")
    return User.get_by_id(user.id)
