"""Shipping methods and their prices for an address and a cart (seed 004 "Calculate Shipping").

The address's zone (services.orders.shipping_zones, where zones never overlap) is the zone
naming its city (case-insensitively) in its country, else the zone of its whole country. No zone
serving it: 422 `address_not_serviceable` ("Address not serviceable", seed 004), for the quote
and for checkout alike.

The methods listed are that zone's, each priced for the cart (`Parcel`: goods subtotal at
current prices before any discount, minor units; weight = sum of variants' `weight_grams` x
quantity, a variant without weight counting 0):
- with `weight_rates`, the price of the first bracket whose `up_to_grams` the weight does not
  exceed; heavier than every bracket: listed with `available: false` (cannot be chosen);
- else the method's flat `price`;
- 0 when the subtotal is at or above the method's `free_threshold`.
Methods other zones offer in the address's country but not in its city (same-day outside its
city) are listed too, with `available: false`, as seed 004 shows. A promotion's free shipping is
applied on top by services.orders.pricing. Estimated delivery counts business days (`METHODS`;
a method id of the shop's own takes standard's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.shipping import ShippingZone
from models.users import User
from services.errors import ValidationFailed
from services.orders import carts, shipping_zones

METHODS = {
    "standard": {"name": "Standard Delivery", "description": "3-5 business days", "estimatedDays": "3-5",
                 "max_days": 5},
    "express": {"name": "Express Delivery", "description": "1-2 business days", "estimatedDays": "1-2",
                "max_days": 2},
    "same_day": {"name": "Same Day Delivery", "description": None, "estimatedDays": "Same day", "max_days": 0},
}
"""The built-in method ids and their defaults (names, estimates in business days)."""


NOT_SERVICEABLE = "address_not_serviceable: no shipping zone serves the address (\"Address not serviceable\")"
"""How a 422 for an address no zone serves is documented (OpenAPI)."""


@dataclass(frozen=True)
class Parcel:
    """What a cart ships: `subtotal` (goods at current prices, minor units) and `weight_grams`."""

    subtotal: int = 0
    weight_grams: int = 0


def parcel(lines: list) -> Parcel:
    """The Parcel of cart lines (services.orders.carts.CartLine): a line weighs its quantity times
    the piece's weight, which is the chosen weight for a line sold by weight and the variant's
    `weight_grams` otherwise (0 when unknown)."""
    return Parcel(sum(line.unit_price * line.item.quantity for line in lines),
                  sum((line.item.weight_grams or line.variant.weight_grams or 0) * line.item.quantity
                      for line in lines))


def _serves_city(zone: ShippingZone, city: str) -> bool:
    return not zone.cities or city in {c.casefold() for c in zone.cities}


def _zones_for(address: dict) -> tuple[ShippingZone | None, list[ShippingZone]]:
    """(the address's zone or None, the zones of its country that name other cities)."""
    country = str(address.get("country") or "").strip().upper()
    city = str(address.get("city") or "").strip().casefold()
    of_country = [zone for zone in shipping_zones.list_zones() if country in zone.countries]
    serving = next((zone for zone in of_country if _serves_city(zone, city)), None)
    return serving, [zone for zone in of_country if zone is not serving and not _serves_city(zone, city)]


def _not_serviceable(address: dict, city_zones: list[ShippingZone]) -> ValidationFailed:
    field = "city" if city_zones else "country"  # the country is served, only in other cities
    return ValidationFailed("Address not serviceable", reason="address_not_serviceable",
                            details=[{"field": f"shippingAddress.{field}",
                                      "message": f"No shipping zone serves this {field}"}])


def method_price(method: dict, cart: Parcel) -> int | None:
    """A zone method's price for `cart` in minor units (module docstring), None when the cart is
    heavier than every weight bracket."""
    rates = method.get("weight_rates") or []
    if rates:
        price = next((r["price"] for r in rates if cart.weight_grams <= r["up_to_grams"]), None)
        if price is None:
            return None
    else:
        price = method["price"]
    threshold = method.get("free_threshold")
    return 0 if threshold is not None and cart.subtotal >= threshold else price


def _listed(method: dict, zone: ShippingZone, cart: Parcel, in_zone: bool) -> dict:
    spec = METHODS.get(method["id"], METHODS["standard"])
    known = method["id"] in METHODS
    price = method_price(method, cart)
    description = method.get("description") or (spec["description"] if known else None)
    if description is None:
        description = f"Within {', '.join(zone.cities)} only" if zone.cities else ""
    return {"id": method["id"], "name": method.get("name") or (spec["name"] if known else method["id"]),
            "description": description, "price": method["price"] if price is None else price,
            "estimatedDays": spec["estimatedDays"], "isDefault": False, "available": in_zone and price is not None}


def shipping_methods(address: dict, cart: Parcel | None = None) -> list[dict]:
    """The methods for `address` and `cart` (None: an empty one): `[{"id", "name", "description",
    "price", "estimatedDays", "isDefault", "available"}]`, `price` in minor units; the default is
    standard when available, else the first available method.
    Raises ValidationFailed (422 `address_not_serviceable`, field `shippingAddress.country`, or
    `.city` when the country is served only in other cities)."""
    cart = cart or Parcel()
    zone, city_zones = _zones_for(address)
    if zone is None:
        raise _not_serviceable(address, city_zones)
    methods = [_listed(m, zone, cart, True) for m in zone.methods]
    for other in city_zones:
        methods += [_listed(m, other, cart, False) for m in other.methods
                    if m["id"] not in {listed["id"] for listed in methods}]
    available = [m for m in methods if m["available"]]
    default = next((m for m in available if m["id"] == "standard"), available[0] if available else None)
    if default is not None:
        default["isDefault"] = True
    return methods


def quote_shipping(cart_id: str, address: dict, user: User | None) -> list[dict]:
    """`shipping_methods` for the cart `cart_id` (visible to `user`) shipped to `address`. Raises
    NotFound (404 `cart_not_found`) before ValidationFailed (422 `address_not_serviceable`)."""
    cart = carts.get_cart(cart_id, user)
    return shipping_methods(address, parcel(carts.load_lines(cart.id)))


def add_business_days(start: dt.date, days: int) -> dt.date:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def choose_method(method_id: str, address: dict, cart: Parcel | None = None) -> dict:
    """The snapshot stored on an order: `{"id", "name", "price", "estimatedDays"}`, `price` being
    the method's price for `cart` (minor units) in the address's zone.

    Raises ValidationFailed (422): `address_not_serviceable` (as `shipping_methods`),
    `shipping_method_unavailable` (not offered at this address, or the cart too heavy for it),
    `unknown_shipping_method` (no zone offers it).
    """
    listed = {m["id"]: m for m in shipping_methods(address, cart)}
    method = listed.get(method_id)
    if method is None and not any(m["id"] == method_id for zone in shipping_zones.list_zones()
                                  for m in zone.methods):
        raise ValidationFailed(f"Unknown shipping method {method_id!r}", reason="unknown_shipping_method",
                               details=[{"field": "shippingMethod",
                                         "message": f"One of {', '.join(sorted(listed))}"}])
    if method is None or not method["available"]:
        offered = ", ".join(m["id"] for m in listed.values() if m["available"])
        raise ValidationFailed(f"{method_id} is not available for this address and cart",
                               reason="shipping_method_unavailable",
                               details=[{"field": "shippingMethod",
                                         "message": f"{method['description'] if method else 'Not offered here'}"
                                                    f"; available: {offered}"}])
    return {"id": method_id, "name": method["name"], "price": method["price"], "estimatedDays": method["estimatedDays"]}


def estimated_delivery(method: dict, placed: dt.date) -> dt.date:
    """`placed` plus the method's business days (`METHODS`; an id of the shop's own: standard's)."""
    return add_business_days(placed, METHODS.get(method["id"], METHODS["standard"])["max_days"])
