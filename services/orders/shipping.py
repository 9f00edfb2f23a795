"""Shipping methods and their prices (seed 004 "Calculate Shipping").

Standard, express and same-day (only inside `SAME_DAY_CITY`); prices are
minor units from configuration. Estimated delivery counts business days.
"""

from __future__ import annotations

import datetime as dt

import config
from services.errors import ValidationFailed

METHODS = {
    "standard": {"name": "Standard Delivery", "description": "3-5 business days", "estimatedDays": "3-5",
                 "max_days": 5},
    "express": {"name": "Express Delivery", "description": "1-2 business days", "estimatedDays": "1-2",
                "max_days": 2},
    "same_day": {"name": "Same Day Delivery", "description": None, "estimatedDays": "Same day", "max_days": 0},
}


def _price(method_id: str) -> int:
    s = config.get()
    return {"standard": s.shipping_standard, "express": s.shipping_express, "same_day": s.shipping_same_day}[method_id]


def _same_day_available(address: dict | None) -> bool:
    city = (address or {}).get("city") or ""
    return city.strip().casefold() == config.get().same_day_city.casefold()


def shipping_methods(address: dict | None) -> list[dict]:
    """The methods for `address`: `[{"id", "name", "description", "price", "estimatedDays", "isDefault", "available"}]`.

    `price` is in minor units. Same-day is listed with `available: false` outside the configured city.
    """
    city = config.get().same_day_city
    methods = []
    for method_id, spec in METHODS.items():
        methods.append({
            "id": method_id, "name": spec["name"],
            "description": spec["description"] or f"Within {city} only",
            "price": _price(method_id), "estimatedDays": spec["estimatedDays"],
            "isDefault": method_id == "standard",
            "available": _same_day_available(address) if method_id == "same_day" else True,
        })
    return methods


def add_business_days(start: dt.date, days: int) -> dt.date:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def choose_method(method_id: str, address: dict) -> dict:
    """The snapshot stored on an order: `{"id", "name", "price", "estimatedDays"}`.

    Raises ValidationFailed (422 `shipping_method_unavailable`) for an unknown
    method or same-day outside the configured city.
    """
    if method_id not in METHODS:
        raise ValidationFailed(f"Unknown shipping method {method_id!r}", reason="unknown_shipping_method",
                               details=[{"field": "shippingMethod", "message": "standard, express or same_day"}])
    if method_id == "same_day" and not _same_day_available(address):
        raise ValidationFailed("Same-day delivery is not available for this address",
                               reason="shipping_method_unavailable",
                               details=[{"field": "shippingMethod",
                                         "message": f"same_day is only available in {config.get().same_day_city}"}])
    spec = METHODS[method_id]
    return {"id": method_id, "name": spec["name"], "price": _price(method_id), "estimatedDays": spec["estimatedDays"]}


def estimated_delivery(method: dict, placed: dt.date) -> dt.date:
    return add_business_days(placed, METHODS[method["id"]]["max_days"])
