"""Stores (seed 002): a store written through services.content, around Lisbon by default."""

from __future__ import annotations

from models.catalog import Store
from services import content

LISBON = (38.7223, -9.1393)


def make_store(name="Loja do Bairro", lat=LISBON[0], lng=LISBON[1], radius=5.0, minimum=0, hours=None,
               staff=None, **data) -> Store:
    """An active store at (lat, lng) delivering `radius` km around, with a `minimum` order in minor
    units (USD, the tests' shop currency), `hours` (weekday -> intervals; default: always open) and
    `staff` (users who run it)."""
    always = {day: [{"open": "00:00", "close": "00:00"}] for day in content.WEEKDAYS}
    body = {"name": name, "location": {"address": "Rua Augusta 1", "city": "Lisboa", "country": "PT",
                                       "latitude": lat, "longitude": lng, "delivery_radius_km": radius},
            "operational_info": {"hours": always if hours is None else hours, "delivery_time": "30-45 mins",
                                 "minimum_order": {"amount": minimum, "currency": "USD"}},
            "staff_ids": [u.id for u in staff or []], **data}
    return content.create_store(body)
