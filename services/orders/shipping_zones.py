"""Shipping zones (staff, `shipping:manage`): create, list, read, change and delete, and the
default zones.

A zone (models.shipping.ShippingZone) serves `countries` (ISO 3166-1 alpha-2) and, when it names
`cities`, only those cities in them. Its `methods` are the shipping methods offered there, each
`{"id", "name", "description", "price", "free_threshold", "weight_rates"}`: `id` one of
services.orders.shipping.METHODS (standard, express, same_day) or a new one (lower-case
snake_case; its estimate is standard's), `price` and `free_threshold` in minor units,
`weight_rates` `[{"up_to_grams", "price"}]` (the cart weighs at most `up_to_grams` grams: that
price). Which zone serves an address and what a method costs: services.orders.shipping.

Rules: names are unique (409 `shipping_zone_name_taken`); zones do not overlap (409
`shipping_zone_overlap`): two zones without cities share no country, two zones with cities no
country and city (a zone with cities inside a country-wide one is the point: it wins); a zone
has at least one country and one method (422 by the API's schema), its method ids are distinct
(422 `duplicate_shipping_method`) and a method's brackets have distinct `up_to_grams` (422
`duplicate_weight_bracket`); the last zone cannot be deleted (409 `shipping_zone_last`: a shop
ships somewhere; change the zone instead).

Default zones (`DEFAULT_COUNTRIES`: the shops' countries, seeds 000-004, the demo warehouses and
the demo stores (PT), plus US), written on first use when there is no zone at all (a new or
truncated database), reproduce the shipping of before zones existed with the prices then configured
(`SHIPPING_*_PRICE`, `SAME_DAY_CITY`): "Same day in <city>" (standard, express and same-day, for
that city in any of those countries) and "Default" (standard and express).
"""

from __future__ import annotations

import peewee

import config
from models.db import atomic, isoformat, utcnow
from models.shipping import ShippingZone
from services.errors import Conflict, NotFound, ValidationFailed

DEFAULT_COUNTRIES = ("AE", "BE", "CH", "DE", "FR", "JO", "LU", "MA", "PS", "PT", "SA", "US")
FIELDS = ("name", "countries", "cities", "methods")


def _method(method_id: str, price: int) -> dict:
    return {"id": method_id, "name": None, "description": None, "price": price, "free_threshold": None,
            "weight_rates": []}


def default_zones() -> list[dict]:
    """The default zones' fields (module docstring), from the configuration now."""
    s = config.get()
    flat = [_method("standard", s.shipping_standard), _method("express", s.shipping_express)]
    return [{"name": f"Same day in {s.same_day_city}", "countries": list(DEFAULT_COUNTRIES),
             "cities": [s.same_day_city], "methods": [*flat, _method("same_day", s.shipping_same_day)]},
            {"name": "Default", "countries": list(DEFAULT_COUNTRIES), "cities": [], "methods": flat}]


def ensure_default_zones() -> None:
    """Write the default zones when there is no zone at all; concurrent callers are harmless
    (the names are unique: `ON CONFLICT DO NOTHING`)."""
    if ShippingZone.select().exists():
        return
    now = utcnow()
    with atomic():
        ShippingZone.insert_many([dict(zone, created_at=now, updated_at=now) for zone in default_zones()]
                                 ).on_conflict_ignore().execute()


def list_zones() -> list[ShippingZone]:
    """Every zone, zones naming cities first, then oldest first; the defaults are written first
    when there is none."""
    def query():  # a new query each time: peewee caches a query's rows
        return ShippingZone.select().order_by(ShippingZone.created_at, ShippingZone.id)

    zones = list(query())
    if not zones:
        ensure_default_zones()
        zones = list(query())
    return sorted(zones, key=lambda zone: not zone.cities)  # stable: oldest first within each kind


def get_zone(zone_id: str) -> ShippingZone:
    """Raises NotFound (404 `shipping_zone_not_found`)."""
    zone = ShippingZone.get_or_none(ShippingZone.id == zone_id)
    if zone is None:
        raise NotFound("Shipping zone not found", reason="shipping_zone_not_found")
    return zone


def zone_view(zone: ShippingZone) -> dict:
    """A zone for staff: `{"id", "name", "countries", "cities", "methods": [{"id", "name",
    "description", "price", "freeShippingThreshold", "weightRates": [{"upToGrams", "price"}]}],
    "createdAt", "updatedAt"}` (money in minor units, weights in grams)."""
    return {"id": zone.id, "name": zone.name, "countries": list(zone.countries), "cities": list(zone.cities),
            "methods": [{"id": m["id"], "name": m.get("name"), "description": m.get("description"),
                         "price": m["price"], "freeShippingThreshold": m.get("free_threshold"),
                         "weightRates": [{"upToGrams": r["up_to_grams"], "price": r["price"]}
                                         for r in m.get("weight_rates") or []]} for m in zone.methods],
            "createdAt": isoformat(zone.created_at), "updatedAt": isoformat(zone.updated_at)}


def _normalised(values: dict) -> dict:
    """`values` with countries upper-case and sorted, cities trimmed, duplicates dropped, brackets
    by ascending weight. Raises ValidationFailed (422 `duplicate_shipping_method`,
    `duplicate_weight_bracket`)."""
    methods, seen = [], set()
    for index, method in enumerate(values["methods"]):
        if method["id"] in seen:
            raise ValidationFailed.for_field(f"methods.{index}.id", f"{method['id']} is listed twice",
                                             reason="duplicate_shipping_method")
        seen.add(method["id"])
        rates = sorted(method.get("weight_rates") or [], key=lambda r: r["up_to_grams"])
        if len({r["up_to_grams"] for r in rates}) != len(rates):
            raise ValidationFailed.for_field(f"methods.{index}.weightRates", "Two brackets with the same upToGrams",
                                             reason="duplicate_weight_bracket")
        methods.append({"id": method["id"], "name": method.get("name"), "description": method.get("description"),
                        "price": method["price"], "free_threshold": method.get("free_threshold"),
                        "weight_rates": [{"up_to_grams": r["up_to_grams"], "price": r["price"]} for r in rates]})
    cities = []
    for city in values.get("cities") or []:
        if city.strip().casefold() not in {c.casefold() for c in cities}:
            cities.append(city.strip())
    return {"name": values["name"].strip(), "countries": sorted({c.upper() for c in values["countries"]}),
            "cities": cities, "methods": methods}


def _overlap(zone: ShippingZone) -> Conflict | None:
    """The 409 `shipping_zone_overlap` when another zone serves the same addresses as `zone`: a
    shared country where neither names cities, or both name the same city (so each address has
    one zone of each kind, and its zone is never a matter of order)."""
    cities = {c.casefold() for c in zone.cities}
    for other in ShippingZone.select().where(ShippingZone.id != zone.id):
        shared = sorted(set(zone.countries) & set(other.countries))
        same_cities = sorted(cities & {c.casefold() for c in other.cities})
        if shared and ((not cities and not other.cities) or same_cities):
            where = f"{', '.join(shared)}" + (f" ({', '.join(same_cities)})" if same_cities else "")
            return Conflict(f"Zone {other.name} already serves {where}", reason="shipping_zone_overlap",
                            details=[{"field": "cities" if same_cities else "countries",
                                      "message": f"Served by {other.name}"}])
    return None


def _save(zone: ShippingZone, new: bool = False) -> ShippingZone:
    try:
        with atomic():
            overlap = _overlap(zone)
            if overlap is not None:
                raise overlap
            zone.save(force_insert=new)
    except peewee.IntegrityError as exc:
        raise Conflict(f"A shipping zone is already named {zone.name}", reason="shipping_zone_name_taken",
                       details=[{"field": "name", "message": "Already used by another zone"}]) from exc
    return zone


def create_zone(data: dict) -> ShippingZone:
    """A new zone from `data` `{"name", "countries", "cities"?, "methods"}` (shapes in the module
    docstring). Raises ValidationFailed (422), Conflict (409 `shipping_zone_name_taken`)."""
    ensure_default_zones()  # a shop's first zone joins the defaults rather than replacing them
    now = utcnow()
    return _save(ShippingZone(created_at=now, updated_at=now, **_normalised({"cities": [], **data})), new=True)


def update_zone(zone_id: str, data: dict) -> ShippingZone:
    """Change the given fields of a zone (`methods`, when given, replaces them all). Raises
    NotFound, and as `create_zone`."""
    zone = get_zone(zone_id)
    values = {key: getattr(zone, key) for key in FIELDS}
    values.update({key: data[key] for key in FIELDS if key in data})
    for key, value in _normalised(values).items():
        setattr(zone, key, value)
    zone.updated_at = utcnow()
    return _save(zone)


def delete_zone(zone_id: str) -> None:
    """Delete a zone; orders keep their shipping method snapshot. Raises NotFound, Conflict (409
    `shipping_zone_last`)."""
    with atomic():
        zone = get_zone(zone_id)
        if not ShippingZone.select().where(ShippingZone.id != zone.id).exists():
            raise Conflict("The last shipping zone cannot be deleted; change it instead", reason="shipping_zone_last")
        ShippingZone.delete().where(ShippingZone.id == zone.id).execute()
