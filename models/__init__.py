"""Peewee models, one module per domain.

`ALL_MODELS` collects every model of the modules in `DOMAIN_MODULES`, sorted so
that a table comes after the tables it references (peewee's `sort_models`).
A new domain adds its module name here and a migration creating its tables.
"""

import importlib

from peewee import sort_models

from models.db import BaseModel

DOMAIN_MODULES = ["users", "catalog", "carts", "orders", "jobs", "ml", "fraud", "notifications", "loyalty",
                  "reviews", "recommendations", "wishlists", "profiles", "audit", "seo", "inventory",
                  "search", "purchasing", "analytics", "payment_methods", "disputes",
                  "shipping", "banners", "recipes", "videos", "stores", "wallet", "earn"]


def _collect():
    found = []
    for name in DOMAIN_MODULES:
        module = importlib.import_module(f"models.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel \
                    and value.__module__ == module.__name__ and value not in found:
                found.append(value)
    return sort_models(found)


ALL_MODELS = _collect()
