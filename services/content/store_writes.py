"""Creating, changing and soft-deleting stores (admins: any store; a store's own staff: their
store, `staffIds` excepted).

`data` is the API body loaded by web.stores' schemas (snake_case, nested as the view is):
`name`, `slug` (default: from the name, made unique), `description`, `category_id`, `location`
{address, city, country, latitude, longitude, delivery_radius_km}, `contact` {phone, email,
website}, `offers` {cashback (Decimal percent, 2 decimals), discount_text, is_partner},
`operational_info` {hours, timezone, delivery_time, minimum_order {amount, currency}},
`is_active` and `staff_ids` (both admins only). An update changes only what it names, nested objects
key by key (`hours` and `staffIds` are replaced whole).

Rules: a phone is parsed with `phonenumbers` (E.164, or national for the store's country) and
stored as E.164 (422 `invalid_store_phone`); latitude and longitude come together (422
`store_coordinates_incomplete`); the minimum order is in the shop's currency (422
`store_minimum_currency`); the category and staff must exist (422 `unknown_store_category`,
`unknown_store_staff`); slugs are unique (409 `store_slug_taken`).
"""

from __future__ import annotations

import peewee
import phonenumbers

import config
from models.catalog import Category, Store
from models.db import atomic, utcnow
from models.stores import StoreStaff
from models.users import User
from services import catalog
from services.content import opening_hours
from services.content.stores import get_store, is_store_staff
from services.errors import Conflict, NotAllowed, ValidationFailed
from services.platform import catalog_ttl

RESERVED_SLUGS = frozenset({"nearby"})  # fixed words under /stores


def normalise_phone(phone: str | None, country: str | None) -> str | None:
    """`phone` as E.164 (`+351213456789`), parsed as national for `country` (ISO alpha-2) when it
    has no `+`. Raises ValidationFailed (422 `invalid_store_phone`)."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed.for_field("contact.phone", "Not a valid phone number (E.164 such as +351213456789)",
                                         reason="invalid_store_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _location(store: Store, location: dict) -> None:
    for key, column in (("address", "address"), ("city", "city"), ("delivery_radius_km", "delivery_radius_km")):
        if key in location:
            setattr(store, column, location[key])
    if "country" in location:
        store.country = (location["country"] or "").upper()
    if "latitude" in location or "longitude" in location:
        if ("latitude" in location) != ("longitude" in location) or \
                (location.get("latitude") is None) != (location.get("longitude") is None):
            raise ValidationFailed.for_field("location", "Give latitude and longitude together (or both null)",
                                             reason="store_coordinates_incomplete")
        store.latitude, store.longitude = location["latitude"], location["longitude"]


def _contact(store: Store, contact: dict, country_changed: bool) -> None:
    if "phone" in contact:
        store.phone = normalise_phone(contact["phone"], store.country)
    elif country_changed and store.phone:
        store.phone = normalise_phone(store.phone, store.country)
    for key in ("email", "website"):
        if key in contact:
            setattr(store, key, contact[key] or None)


def _offers(store: Store, offers: dict) -> None:
    if "cashback" in offers:
        store.cashback_bp = round(offers["cashback"] * 100)  # the schema allows 2 decimals: exact
    if "discount_text" in offers:
        store.discount_text = offers["discount_text"]
    if "is_partner" in offers:
        store.is_partner = offers["is_partner"]


def _operations(store: Store, info: dict) -> None:
    if "hours" in info:
        store.opening_hours = opening_hours.normalise_hours(info["hours"] or {})
    if "timezone" in info:
        store.timezone = info["timezone"]
    if "delivery_time" in info:
        store.delivery_time = info["delivery_time"]
    if "minimum_order" in info:
        minimum = info["minimum_order"] or {"amount": 0}
        currency = (minimum.get("currency") or config.get().currency).upper()
        if currency != config.get().currency:
            raise ValidationFailed.for_field("operationalInfo.minimumOrder.currency",
                                             f"This shop sells in {config.get().currency}",
                                             reason="store_minimum_currency")
        store.minimum_order, store.minimum_order_currency = minimum["amount"], currency


def _apply(store: Store, data: dict) -> None:
    for key in ("name", "description", "is_active"):
        if key in data:
            setattr(store, key, data[key])
    if "slug" in data:
        store.slug = data["slug"]
    if "category_id" in data:
        category_id = data["category_id"]
        if category_id and not Category.select().where(Category.id == category_id).exists():
            raise ValidationFailed.for_field("categoryId", "Category not found", reason="unknown_store_category")
        store.category = category_id
    country_before = store.country
    _location(store, data.get("location") or {})
    _contact(store, data.get("contact") or {}, store.country != country_before)
    _offers(store, data.get("offers") or {})
    _operations(store, data.get("operational_info") or {})


def _set_staff(store_id: str, user_ids: list[str]) -> None:
    wanted = sorted(set(user_ids))
    found = {u for (u,) in User.select(User.id).where(User.id.in_(wanted)).tuples()} if wanted else set()
    missing = [u for u in wanted if u not in found]
    if missing:
        raise ValidationFailed("Unknown users in staffIds", reason="unknown_store_staff",
                               details=[{"field": "staffIds", "message": f"No user {u}"} for u in missing[:20]])
    StoreStaff.delete().where(StoreStaff.store == store_id, StoreStaff.user.not_in(wanted)).execute()
    if wanted:
        StoreStaff.insert_many([{"store": store_id, "user": u, "created_at": utcnow()} for u in wanted]) \
            .on_conflict_ignore().execute()


def _free_slug(name: str) -> str:
    base = catalog.slugify(name) or "store"
    if base in RESERVED_SLUGS:
        base = f"{base}-store"
    taken = {s for (s,) in Store.select(Store.slug).where((Store.slug == base) | Store.slug.startswith(f"{base}-"))
             .tuples()}
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _save(store: Store, data: dict, creating: bool) -> Store:
    try:
        with atomic():
            catalog_ttl.invalidate_after_commit()  # the cached homepage sections
            store.updated_at = utcnow()
            store.save(force_insert=creating)
            if "staff_ids" in data:
                _set_staff(store.id, data["staff_ids"] or [])
    except peewee.IntegrityError:
        raise Conflict("Another store has this slug", reason="store_slug_taken",
                       details=[{"field": "slug", "message": "Taken"}]) from None
    return Store.get_by_id(store.id)


def create_store(data: dict) -> Store:
    """Create a store (admins; `data`: module docstring, `name` required). Returns it. Raises the
    module docstring's errors."""
    store = Store(name=data["name"], slug=data.get("slug") or _free_slug(data["name"]),
                  minimum_order_currency=config.get().currency, created_at=utcnow())
    _apply(store, {k: v for k, v in data.items() if k != "slug"})
    return _save(store, data, creating=True)


def check_can_edit(store: Store, user: User, as_admin: bool) -> None:
    """Raises NotAllowed (403 `store_staff_only`) unless `as_admin` or `user` runs `store` (for
    changing it, and for reading what only its staff read: its orders)."""
    if not (as_admin or is_store_staff(user, store.id)):
        raise NotAllowed("Only an admin or this store's staff may do this", reason="store_staff_only")


def update_store(ref: str, data: dict, user: User, as_admin: bool) -> Store:
    """Change the store `ref` (id or slug) as an admin (`as_admin`) or its staff; `staff_ids` and
    `is_active` are for admins only (403 `store_staff_admin_only`). Raises NotFound (404 `store_not_found`),
    NotAllowed (403 `store_staff_only`) and the module docstring's errors."""
    store = get_store(ref, user, as_admin)
    check_can_edit(store, user, as_admin)
    admin_only = [field for key, field in (("staff_ids", "staffIds"), ("is_active", "isActive")) if key in data]
    if admin_only and not as_admin:
        raise NotAllowed("Only an admin may change who runs a store or whether it is active",
                         reason="store_staff_admin_only",
                         details=[{"field": field, "message": "Admins only"} for field in admin_only])
    _apply(store, data)
    return _save(store, data, creating=False)


def deactivate_store(ref: str) -> Store:
    """Soft-delete the store `ref` (admins): `is_active` false; its rows and products stay, hidden
    from the public lists, and checkout refuses its lines (422 `store_inactive`). Idempotent.
    Raises NotFound (404 `store_not_found`)."""
    store = get_store(ref, as_admin=True)
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        Store.update(is_active=False, updated_at=utcnow()).where(Store.id == store.id).execute()
    return Store.get_by_id(store.id)
