"""Reading stores (seed 002 "Stores"): one store by id or slug, the filtered list, and the
public view.

The view (`store_view`) follows the seed's nesting: `location` {address, city, country,
latitude, longitude, deliveryRadius (km)}, `contact` {phone, email, website}, `ratings`
{average (0-5, 2 decimals; 0 without reviews), count}, `offers` {cashback (percent, 2
decimals), discountText, isPartner}, `operationalInfo` {hours (weekday -> [{open, close}]),
timeZone, isOpenNow, deliveryTime, minimumOrder {amount (minor units), currency}}; `logo` and
`banner` are URLs (None without one). Inactive stores (soft-deleted) are found only for admins
and the store's own staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

import config
from models.catalog import Store
from models.db import isoformat, utcnow
from models.stores import StoreStaff
from models.users import User
from services.content import opening_hours
from services.errors import NotFound

MEDIA_URL = "/api/v1/media/stores"


@dataclass
class StoreFilters:
    """The list's filters: `category_ids` (a category and its subtree; None: any), `city`
    (case-insensitive, exact), `open_now` (None: either), `partner` (None: either), `search`
    (case-insensitive substring of the name or description)."""

    category_ids: list[str] | None = None
    city: str | None = None
    open_now: bool | None = None
    partner: bool | None = None
    search: str | None = None


def is_store_staff(user: User | None, store_id: str) -> bool:
    """Whether `user` is linked to the store as its staff."""
    return user is not None and StoreStaff.select().where(
        StoreStaff.store == store_id, StoreStaff.user == user.id).exists()


def staff_ids(store_id: str) -> list[str]:
    """The ids of the users who run the store, oldest link first."""
    return [row.user_id for row in StoreStaff.select(StoreStaff.user).where(StoreStaff.store == store_id)
            .order_by(StoreStaff.created_at, StoreStaff.user)]


def get_store(ref: str, user: User | None = None, as_admin: bool = False) -> Store:
    """The store with id (`store_...`) or slug `ref`. An inactive store is found only with
    `as_admin` or for its own staff. Raises NotFound (404 `store_not_found`)."""
    store = Store.get_or_none((Store.id == ref) | (Store.slug == ref))
    if store is None or not (store.is_active or as_admin or is_store_staff(user, store.id)):
        raise NotFound("Store not found", reason="store_not_found")
    return store


def time_zone_of(store: Store) -> str:
    """The IANA time zone the store's hours are in: its own, else SHOP_TIMEZONE."""
    return store.timezone or config.get().shop_timezone


def _filtered(filters: StoreFilters) -> peewee.ModelSelect:
    query = Store.select().where(Store.is_active == True)  # noqa: E712 - peewee SQL
    if filters.category_ids is not None:
        query = query.where(Store.category.in_(filters.category_ids))
    if filters.city:
        query = query.where(peewee.fn.LOWER(Store.city) == filters.city.strip().lower())
    if filters.partner is not None:
        query = query.where(Store.is_partner == filters.partner)
    if filters.search:
        needle = filters.search.strip().lower()
        query = query.where(peewee.fn.LOWER(Store.name).contains(needle)
                            | peewee.fn.LOWER(Store.description).contains(needle))
    return query


def list_stores(filters: StoreFilters, page: int, limit: int) -> tuple[list[Store], int]:
    """A page of active stores matching `filters`, by name. Returns (stores, total). `open_now`
    is decided per store from its hours in its time zone (services.content.opening_hours) at the
    time of the call, over the stores the other filters keep."""
    query = _filtered(filters)
    if filters.open_now is not None:
        now = utcnow()
        rows = query.select(Store.id, Store.opening_hours, Store.timezone).tuples()
        shop_tz = config.get().shop_timezone
        ids = [sid for sid, hours, tz in rows
               if opening_hours.open_now(hours or {}, tz or shop_tz, now) == filters.open_now]
        query = Store.select().where(Store.id.in_(ids)) if ids else None
    if query is None:
        return [], 0
    total = query.count()
    return list(query.order_by(Store.name, Store.id).paginate(page, limit)), total


def average_rating(store: Store) -> float:
    """The mean of the store's review ratings, 0-5 rounded to 2 decimals (0 without reviews)."""
    return round(store.rating_sum / store.rating_count, 2) if store.rating_count else 0.0


def image_url(store: Store, name: str | None) -> str | None:
    """The URL a stored logo or banner file is served at (None without one)."""
    return f"{MEDIA_URL}/{store.id}/{name}" if name else None


def top_rated_stores(limit: int = 8) -> list[Store]:
    """Active stores by average rating (best first; a store needs at least one review), then
    by number of reviews, then name: the homepage's trending stores."""
    average = Store.rating_sum * 1.0 / Store.rating_count
    return list(Store.select().where(Store.is_active == True, Store.rating_count > 0)  # noqa: E712
                .order_by(average.desc(), Store.rating_count.desc(), Store.name, Store.id).limit(limit))


def store_view(store: Store, distance_km: float | None = None, editor: bool = False) -> dict:
    """The API view of a store (module docstring); `distanceKm` (km, 2 decimals) when measured
    from a point; `staffIds` for an editor (an admin or the store's staff)."""
    zone = time_zone_of(store)
    hours = opening_hours.normalise_hours(store.opening_hours or {})
    view = {
        "id": store.id, "name": store.name, "slug": store.slug, "description": store.description,
        "logo": image_url(store, store.logo), "banner": image_url(store, store.banner),
        "categoryId": store.category_id,
        "location": {"address": store.address, "city": store.city, "country": store.country or None,
                     "latitude": store.latitude, "longitude": store.longitude,
                     "deliveryRadius": store.delivery_radius_km},
        "contact": {"phone": store.phone, "email": store.email, "website": store.website},
        "ratings": {"average": average_rating(store), "count": store.rating_count},
        "offers": {"cashback": store.cashback_bp / 100, "discountText": store.discount_text,
                   "isPartner": store.is_partner},
        "operationalInfo": {"hours": hours, "timeZone": zone,
                            "isOpenNow": opening_hours.open_now(hours, zone, utcnow()),
                            "deliveryTime": store.delivery_time,
                            "minimumOrder": {"amount": store.minimum_order,
                                             "currency": store.minimum_order_currency or config.get().currency}},
        "isActive": store.is_active,
        "createdAt": isoformat(store.created_at), "updatedAt": isoformat(store.updated_at),
    }
    if distance_km is not None:
        view["distanceKm"] = round(distance_km, 2)
    if editor:
        view["staffIds"] = staff_ids(store.id)
    return view


def store_summaries(store_ids: list[str]) -> dict[str, dict]:
    """store id -> {"name", "deliveryTime"} for the stores that exist among `store_ids` (one query)."""
    ids = sorted({sid for sid in store_ids if sid})
    if not ids:
        return {}
    rows = Store.select(Store.id, Store.name, Store.delivery_time).where(Store.id.in_(ids)).tuples()
    return {sid: {"name": name, "deliveryTime": delivery} for sid, name, delivery in rows}


def cashback_rates(store_ids: list[str]) -> dict[str, int]:
    """store id -> cashback in hundredths of a percent (`cashback_bp`, 1-10000) for the PARTNER
    stores among `store_ids` that give cashback (> 0); other stores are left out (one query)."""
    ids = sorted({sid for sid in store_ids if sid})
    if not ids:
        return {}
    rows = Store.select(Store.id, Store.cashback_bp).where(
        Store.id.in_(ids), Store.is_partner == True, Store.cashback_bp > 0).tuples()  # noqa: E712 - peewee SQL
    return {sid: bp for sid, bp in rows}
