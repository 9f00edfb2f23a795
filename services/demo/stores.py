"""Demo stores for `make run` (seed 002 "Stores"): ten stores around Lisbon at real street
addresses (`data/demo/stores.json`), some partners with cashback, with opening hours (one open
overnight), minimum orders and a few products each, so `GET /stores/nearby?lat=38.7223&lng=-9.1393`
and the per-store minimum at checkout can be tried at once. Prices are decimal strings in major
units, converted to minor units of the configured currency; the minimum orders too."""

from __future__ import annotations

import json
from typing import Callable

import config
from models.catalog import Category
from services import catalog, content

STORES_FILE = config.ROOT / "data" / "demo" / "stores.json"


def _store_data(spec: dict, exponent: int, categories: dict[str, str]) -> dict:
    """A demo store (camelCase JSON) in services.content's write shape."""
    location, contact, offers, info = spec["location"], spec["contact"], spec["offers"], spec["operationalInfo"]
    return {
        "name": spec["name"], "slug": spec["slug"], "description": spec["description"],
        "category_id": categories.get(spec["category"]),
        "location": {"address": location["address"], "city": location["city"], "country": location["country"],
                     "latitude": location["latitude"], "longitude": location["longitude"],
                     "delivery_radius_km": location["deliveryRadius"]},
        "contact": dict(contact),
        "offers": {"cashback": offers["cashback"], "discount_text": offers["discountText"],
                   "is_partner": offers["isPartner"]},
        "operational_info": {"hours": info["hours"], "delivery_time": info["deliveryTime"],
                             "minimum_order": {"amount": catalog.parse_money(info["minimumOrder"], exponent)}},
    }


def seed_stores(product_data: Callable[[dict, str, int, list], dict]) -> int:
    """Create the demo stores and their products inside the caller's transaction (after the
    category tree); `product_data(spec, store_id, exponent, customizations)` turns a demo product
    into the catalog's write shape (services.demo.shops'). Returns how many stores were created."""
    exponent = config.get().currency_exponent
    categories = dict(Category.select(Category.slug, Category.id).tuples())
    demo = json.loads(STORES_FILE.read_text(encoding="utf-8"))
    for spec in demo["stores"]:
        store = content.create_store(_store_data(spec, exponent, categories))
        for product in spec["products"]:
            catalog.create_product(product_data(product, store.id, exponent, []))
    return len(demo["stores"])
