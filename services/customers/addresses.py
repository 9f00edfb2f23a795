"""The address book (seed 003 addresses, seed 004 customer_addresses): a customer's saved
shipping and billing addresses, in the order address shape, usable by id at checkout.

Every function takes the owner; another customer's address id answers NotFound (404
`address_not_found`), as if it did not exist. Addresses are dicts with the camelCase keys of
web.schemas.AddressSchema (firstName, lastName, company, street, building, apartment, city,
state, governorate, postalCode, country, phone) plus `label`, `type` (shipping | billing) and
`isDefault`. Phone numbers are normalised to E.164, read in the address's country.

Defaults: at most one per customer and type. The first address of a type becomes its
default; making one the default unsets the other in the same transaction; deleting the
default (or moving it to the other type) makes the most recently created remaining address
of that type the default. Every write takes the customer's address-book lock (the user row,
`FOR NO KEY UPDATE` on PostgreSQL; SQLite's write lock), so concurrent writes cannot make two
defaults or pass MAX_ADDRESSES; the partial unique index of migration 0009 is the backstop.
"""

from __future__ import annotations

import peewee

from models.db import atomic, is_postgres, isoformat, utcnow
from models.profiles import ADDRESS_TYPES, CustomerAddress
from models.users import User
from services.customers.profiles import normalise_phone
from services.errors import Conflict, NotFound, ValidationFailed

MAX_ADDRESSES = 50  # per customer
FIELDS = {  # camelCase key -> CustomerAddress field
    "label": "label", "type": "type", "firstName": "first_name", "lastName": "last_name", "company": "company",
    "street": "street", "building": "building", "apartment": "apartment", "city": "city", "state": "state",
    "governorate": "governorate", "postalCode": "postal_code", "country": "country", "phone": "phone",
}
CHECKOUT_KEYS = ("firstName", "lastName", "email", "phone", "company", "country", "city", "governorate", "state",
                 "postalCode", "street", "building", "apartment")


def address_view(address: CustomerAddress) -> dict:
    """`{"id", "label", "type", "isDefault", "firstName", "lastName", "company", "street",
    "building", "apartment", "city", "state", "governorate", "postalCode", "country", "phone",
    "createdAt", "updatedAt"}`; unset values are null."""
    return {"id": address.id, "label": address.label, "type": address.type, "isDefault": bool(address.is_default),
            "firstName": address.first_name, "lastName": address.last_name, "company": address.company,
            "street": address.street, "building": address.building, "apartment": address.apartment,
            "city": address.city, "state": address.state, "governorate": address.governorate,
            "postalCode": address.postal_code, "country": address.country, "phone": address.phone,
            "createdAt": isoformat(address.created_at), "updatedAt": isoformat(address.updated_at)}


def list_addresses(user: User) -> list[CustomerAddress]:
    """The customer's addresses, oldest first (at most MAX_ADDRESSES)."""
    return list(CustomerAddress.select().where(CustomerAddress.user == user.id)
                .order_by(CustomerAddress.created_at, CustomerAddress.id))


def own_address(user_id: str, address_id: str) -> CustomerAddress:
    """The customer's address `address_id`. Raises NotFound (404 `address_not_found`), also for
    another customer's address."""
    address = CustomerAddress.get_or_none(CustomerAddress.id == address_id, CustomerAddress.user == user_id)
    if address is None:
        raise NotFound("Address not found", reason="address_not_found")
    return address


def get_address(user: User, address_id: str) -> CustomerAddress:
    """One of the caller's addresses. Raises NotFound (404 `address_not_found`)."""
    return own_address(user.id, address_id)


def _lock_book(user_id: str) -> None:
    if is_postgres():
        list(User.select(User.id).where(User.id == user_id).for_update("FOR NO KEY UPDATE"))


def _values(fields: dict) -> dict:
    """camelCase address fields -> model field values (strings stripped, blank ones None)."""
    values = {}
    for key, field in FIELDS.items():
        if key in fields:
            value = fields[key]
            values[field] = (value.strip() or None) if isinstance(value, str) else value
    return values


def _check(values: dict) -> dict:
    """The merged values of an address, checked: required parts present, phone normalised."""
    missing = [key for key in ("firstName", "lastName", "street", "city", "country") if not values.get(FIELDS[key])]
    if missing:
        raise ValidationFailed("Missing address fields", reason="validation_failed",
                               details=[{"field": key, "message": "Required"} for key in missing])
    if values.get("type") not in ADDRESS_TYPES:
        raise ValidationFailed("type must be shipping or billing", reason="validation_failed",
                               details=[{"field": "type", "message": "One of shipping, billing"}])
    if values.get("phone"):
        values["phone"] = normalise_phone(values["phone"], values.get("country"))
    return values


def _unset_other_defaults(user_id: str, kind: str, keep: str | None) -> None:
    query = CustomerAddress.update(is_default=False, updated_at=utcnow()).where(
        CustomerAddress.user == user_id, CustomerAddress.type == kind, CustomerAddress.is_default == True)  # noqa: E712
    if keep:
        query = query.where(CustomerAddress.id != keep)
    query.execute()


def _promote_newest(user_id: str, kind: str) -> None:
    """Make the newest address of `kind` the default when that type has none."""
    has_default = CustomerAddress.select().where(CustomerAddress.user == user_id, CustomerAddress.type == kind,
                                                 CustomerAddress.is_default == True).exists()  # noqa: E712
    if has_default:
        return
    newest = (CustomerAddress.select(CustomerAddress.id).where(CustomerAddress.user == user_id,
                                                               CustomerAddress.type == kind)
              .order_by(CustomerAddress.created_at.desc(), CustomerAddress.id.desc()).first())
    if newest is not None:
        CustomerAddress.update(is_default=True, updated_at=utcnow()).where(CustomerAddress.id == newest.id).execute()


def _written(write):
    """Run `write()` in a transaction; the partial unique index refusing a second default is 409."""
    try:
        with atomic():
            return write()
    except peewee.IntegrityError:
        raise Conflict("Another write changed the default address; retry", reason="conflict") from None


def create_address(user: User, fields: dict) -> CustomerAddress:
    """Save a new address (camelCase fields; `type` default shipping, `isDefault` default false:
    the first of its type is the default anyway). Returns it. Raises ValidationFailed (422:
    `address_limit_reached` beyond MAX_ADDRESSES, `invalid_phone`, `validation_failed`)."""
    values = _check(dict({"type": "shipping"}, **{k: v for k, v in _values(fields).items() if v is not None}))

    def write():
        _lock_book(user.id)
        count = CustomerAddress.select().where(CustomerAddress.user == user.id).count()
        if count >= MAX_ADDRESSES:
            raise ValidationFailed(f"An address book holds at most {MAX_ADDRESSES} addresses",
                                   reason="address_limit_reached",
                                   details=[{"field": "addressId", "message": "Delete an address first"}])
        has_default = CustomerAddress.select().where(CustomerAddress.user == user.id,
                                                     CustomerAddress.type == values["type"],
                                                     CustomerAddress.is_default == True).exists()  # noqa: E712
        is_default = bool(fields.get("isDefault")) or not has_default
        if is_default:
            _unset_other_defaults(user.id, values["type"], None)
        return CustomerAddress.create(user=user.id, is_default=is_default, **values)

    return _written(write)


def update_address(user: User, address_id: str, fields: dict, replace: bool = False) -> CustomerAddress:
    """Change one of the caller's addresses: the camelCase fields sent (PATCH), or, with
    `replace`, the whole address (PUT: fields not sent are cleared, `type` back to shipping
    unless sent, `isDefault` kept unless sent). Returns it. Raises NotFound
    (`address_not_found`), ValidationFailed (422: `invalid_phone`, `validation_failed`)."""
    changes = _values(fields)

    def write():
        _lock_book(user.id)
        address = own_address(user.id, address_id)
        if replace:
            merged = dict({field: None for field in FIELDS.values()}, type="shipping")
        else:
            merged = {field: getattr(address, field) for field in FIELDS.values()}
        merged.update(changes)
        merged = _check(merged)
        is_default = bool(fields["isDefault"]) if "isDefault" in fields else bool(address.is_default)
        if is_default:
            _unset_other_defaults(user.id, merged["type"], address.id)
        CustomerAddress.update(is_default=is_default, updated_at=utcnow(),
                               **{k: merged[k] for k in FIELDS.values()}).where(
            CustomerAddress.id == address.id).execute()
        if address.is_default and merged["type"] != address.type:
            _promote_newest(user.id, address.type)
        return CustomerAddress.get_by_id(address.id)

    return _written(write)


def delete_address(user: User, address_id: str) -> None:
    """Delete one of the caller's addresses; if it was its type's default, the newest remaining
    address of that type becomes the default. Raises NotFound (`address_not_found`)."""
    def write():
        _lock_book(user.id)
        address = own_address(user.id, address_id)
        CustomerAddress.delete().where(CustomerAddress.id == address.id).execute()
        if address.is_default:
            _promote_newest(user.id, address.type)

    _written(write)


def set_default_address(user: User, address_id: str) -> CustomerAddress:
    """Make one of the caller's addresses the default of its type (the previous default of that
    type is unset in the same transaction). Returns it. Raises NotFound (`address_not_found`)."""
    def write():
        _lock_book(user.id)
        address = own_address(user.id, address_id)
        _unset_other_defaults(user.id, address.type, address.id)
        CustomerAddress.update(is_default=True, updated_at=utcnow()).where(CustomerAddress.id == address.id).execute()
        return CustomerAddress.get_by_id(address.id)

    return _written(write)


def address_for_checkout(user_id: str, address_id: str) -> dict:
    """The saved address `address_id` of customer `user_id` in the order address shape, the
    camelCase keys web.schemas.AddressSchema loads (firstName, lastName, email (the account's),
    phone, company, country, city, governorate, state, postalCode, street, building, apartment;
    unset ones left out), ready to pass as checkout's shippingAddress or billingAddress.
    Raises NotFound (404 `address_not_found`, also for another customer's address)."""
    address = own_address(user_id, address_id)
    email = User.select(User.email).where(User.id == user_id).scalar()
    view = address_view(address)
    shape = {key: view.get(key) for key in CHECKOUT_KEYS}
    shape["email"] = email
    return {key: value for key, value in shape.items() if value not in (None, "")}
