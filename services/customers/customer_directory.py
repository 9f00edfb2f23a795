"""The customers API of seed 004: staff create customers with their profile, list and search
them; a customer (themself) or staff reads one with profile, addresses and order history.

A customer created here has no usable password (its hash is `!`, which never verifies): they
set one through the password reset link (services.customers.credentials). A customer id is
the user id (`usr_...`); reading another customer's record as a customer answers NotFound
(404 `customer_not_found`), as if it did not exist.
"""

from __future__ import annotations

import peewee

from models.db import atomic, isoformat
from models.orders import Order
from models.profiles import CustomerProfile
from models.users import User
from services.customers.accounts import NO_PASSWORD, email_taken_error
from services.customers.addresses import address_view, list_addresses
from services.customers.phone_identity import is_phone_conflict, phone_columns, phone_taken_error
from services.customers.profiles import clean_profile_changes, profile_of, upsert_profile
from services.errors import NotAllowed, NotFound

ORDER_HISTORY = 20  # orders shown with a customer, newest first
PROFILE_KEYS = ("date_of_birth", "gender", "language", "skin_type", "skin_concerns")


def customer_view(user: User, profile: CustomerProfile | None = None) -> dict:
    """The seed-004 customer object: id, email, firstName, lastName, phone, dateOfBirth, gender,
    language, skinProfile {skinType, skinConcerns}, avatarUrl, emailVerified, isActive,
    createdAt, updatedAt (unset values null, skinConcerns [])."""
    return {
        "id": user.id, "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
        "phone": user.phone or None,
        "dateOfBirth": profile.date_of_birth if profile else None,
        "gender": profile.gender if profile else None,
        "language": profile.language if profile else None,
        "skinProfile": {"skinType": profile.skin_type if profile else None,
                        "skinConcerns": (profile.skin_concerns or []) if profile else []},
        "avatarUrl": profile.avatar_url if profile else None,
        "emailVerified": bool(user.is_verified), "isActive": bool(user.is_active),
        "createdAt": isoformat(user.created_at), "updatedAt": isoformat(user.updated_at),
    }


def create_customer(staff: User, fields: dict) -> dict:
    """Create a customer account with its profile (staff and admins only). `fields`
    (snake_case): email (required), first_name, last_name, phone (normalised to E.164),
    date_of_birth (date), gender, language, skin_type, skin_concerns. Returns `customer_view`.
    Raises NotAllowed (403) for a caller who is not staff, Conflict (409 `email_taken`, `phone_taken`),
    ValidationFailed (422: invalid_phone, invalid_date_of_birth, invalid_language, validation_failed)."""
    if not staff.is_staff:
        raise NotAllowed("Only staff create customers", reason="not_allowed")
    email = fields["email"].strip().lower()
    clean = clean_profile_changes({k: v for k, v in fields.items() if k != "email" and v is not None})
    try:
        with atomic():
            user = User.create(email=email, password_hash=NO_PASSWORD, first_name=clean.get("first_name", ""),
                               last_name=clean.get("last_name", ""), role="customer",
                               **phone_columns(clean.get("phone")))
            upsert_profile(user.id, {k: v for k, v in clean.items() if k in PROFILE_KEYS})
    except peewee.IntegrityError as error:
        raise (phone_taken_error() if is_phone_conflict(error) else email_taken_error()) from None
    return customer_view(user, profile_of(user.id))


def order_summary(order: Order) -> dict:
    """`{"id", "orderNumber", "status", "paymentStatus", "total" (minor units), "currency", "createdAt"}`."""
    return {"id": order.id, "orderNumber": order.order_number, "status": order.status,
            "paymentStatus": order.payment_status, "total": order.total, "currency": order.currency,
            "createdAt": isoformat(order.created_at)}


def get_customer(viewer: User, customer_id: str) -> dict:
    """One customer as `customer_view` plus `addresses` (services.customers.address_view),
    `orders` (the last ORDER_HISTORY, newest first, `order_summary`) and `counts`
    {orders, addresses}. Visible to the customer themself and to staff. Raises NotFound
    (404 `customer_not_found`) for anyone else and for unknown ids."""
    if viewer.id != customer_id and not viewer.is_staff:
        raise NotFound("Customer not found", reason="customer_not_found")
    user = User.get_or_none(User.id == customer_id)
    if user is None:
        raise NotFound("Customer not found", reason="customer_not_found")
    orders = Order.select().where(Order.customer == user.id)
    addresses = list_addresses(user)
    recent = orders.order_by(Order.created_at.desc(), Order.id.desc()).limit(ORDER_HISTORY)
    return dict(customer_view(user, profile_of(user.id)),
                addresses=[address_view(a) for a in addresses],
                orders=[order_summary(o) for o in recent],
                counts={"orders": orders.count(), "addresses": len(addresses)})


def list_customers(q: str | None, page: int, limit: int) -> tuple[list[dict], int]:
    """A page of customer accounts (role customer), newest first, as `customer_view`; `q` keeps
    those whose email, first name or last name starts with it (case-insensitive). Returns
    (customers, total). For staff (the caller checks the role)."""
    query = User.select().where(User.role == "customer")
    if q:
        prefix = q.strip().lower()
        query = query.where(User.email.startswith(prefix) | peewee.fn.LOWER(User.first_name).startswith(prefix)
                            | peewee.fn.LOWER(User.last_name).startswith(prefix))
    total = query.count()
    users = list(query.order_by(User.created_at.desc(), User.id).paginate(page, limit))
    profiles = {p.user_id: p for p in CustomerProfile.select().where(
        CustomerProfile.user.in_([u.id for u in users]))} if users else {}
    return [customer_view(u, profiles.get(u.id)) for u in users], total

