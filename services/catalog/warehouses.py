"""Warehouses. Today every unit is in the default warehouse (`wh_default`, a fixed id so
every process agrees without a lookup); its row is created on first use. Stock functions
(inventory, reservations) take a `warehouse_id` defaulting to it, and every reservation and
movement row names its warehouse, so allocation across warehouses can be added later."""

from __future__ import annotations

from models.catalog import Warehouse

DEFAULT_WAREHOUSE_CODE = "default"
DEFAULT_WAREHOUSE_ID = "wh_default"  # fixed, so every process agrees without a lookup


def default_warehouse() -> Warehouse:
    """The default warehouse, created on first use."""
    wh, _ = Warehouse.get_or_create(id=DEFAULT_WAREHOUSE_ID, defaults={
        "code": DEFAULT_WAREHOUSE_CODE, "name": "Default warehouse", "is_default": True})
    return wh


def default_warehouse_id() -> str:
    """Id of the default warehouse (`wh_default`); its row is created by the first stock write
    (services.catalog.inventory) when missing."""
    return DEFAULT_WAREHOUSE_ID
