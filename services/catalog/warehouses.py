"""Warehouses: which ones sell, which serve a shipping address, and their delivery estimates.

The default warehouse (`wh_default`, a fixed id so every process agrees without a lookup; its
row is created on first use) serves every region (`["*"]`) and takes every stock write that
names no warehouse. Other warehouses are created by staff (services.catalog.warehouse_admin).

- Sellable units of a variant are the sum over *active* warehouses of on hand minus reserved
  (`sellable_units`): the `inventoryCount` shoppers see. An inactive warehouse keeps its rows
  (reports, transfers) but is neither sold from nor allocated to.
- A warehouse serves an address when one of its `regions` matches it: `"*"`, the country
  (`"US"`), or country and state (`"US-CA"`, the address's `state` compared case-blind).
  The most specific match also picks the shipping estimate (`estimate_days`).
"""

from __future__ import annotations

import peewee
from peewee import fn

from models.catalog import InventoryLevel, Warehouse

DEFAULT_WAREHOUSE_CODE = "default"
DEFAULT_WAREHOUSE_ID = "wh_default"  # fixed, so every process agrees without a lookup
EVERYWHERE = "*"


def default_warehouse() -> Warehouse:
    """The default warehouse, created on first use (serves every region, priority 0)."""
    wh, _ = Warehouse.get_or_create(id=DEFAULT_WAREHOUSE_ID, defaults={
        "code": DEFAULT_WAREHOUSE_CODE, "name": "Default warehouse", "is_default": True,
        "regions": [EVERYWHERE], "priority": 0})
    return wh


def default_warehouse_id() -> str:
    """Id of the default warehouse (`wh_default`); its row is created by the first stock write
    (services.catalog.inventory) when missing."""
    return DEFAULT_WAREHOUSE_ID


def active_warehouse_ids() -> peewee.SelectQuery:
    """Subquery: ids of the active warehouses (the ones stock is sold and allocated from)."""
    return Warehouse.select(Warehouse.id).where(Warehouse.active == True)  # noqa: E712


def active_warehouses() -> list[Warehouse]:
    """The active warehouses in allocation order: priority, then code."""
    return list(Warehouse.select().where(Warehouse.active == True)  # noqa: E712
                .order_by(Warehouse.priority, Warehouse.code))


def sellable_units(variant: peewee.Node) -> peewee.Node:
    """Scalar subquery: units of `variant` (a column or value) available in active warehouses
    (sum of on hand minus reserved; 0 without rows)."""
    return (InventoryLevel.select(fn.COALESCE(fn.SUM(InventoryLevel.quantity - InventoryLevel.reserved), 0))
            .where((InventoryLevel.variant == variant) & InventoryLevel.warehouse.in_(active_warehouse_ids())))


def region_match(regions: list[str], address: dict) -> int | None:
    """How specifically `regions` cover `address` (`country` ISO alpha-2, optional `state`):
    2 country and state, 1 country, 0 everywhere (`"*"`), None not served."""
    country = str(address.get("country") or "").upper()
    state = str(address.get("state") or "").strip().upper()
    best = None
    for region in regions or []:
        region = region.upper()
        score = (0 if region == EVERYWHERE else 1 if region == country
                 else 2 if state and region == f"{country}-{state}" else None)
        if score is not None and (best is None or score > best):
            best = score
    return best


def estimate_days(warehouse: Warehouse, address: dict) -> tuple[int, int] | None:
    """`(minDays, maxDays)` from dispatch to delivery for `address` (the most specific region of
    `shipping_estimates` matching it), or None when the warehouse gives none for it."""
    best, days = None, None
    for region, estimate in (warehouse.shipping_estimates or {}).items():
        score = region_match([region], address)
        if score is not None and (best is None or score > best):
            best, days = score, (int(estimate["minDays"]), int(estimate["maxDays"]))
    return days


def serving(address: dict) -> list[Warehouse]:
    """Active warehouses that serve `address`, by priority then code. (The default warehouse's row
    exists as soon as any stock was written: services.catalog.inventory creates it.)"""
    return [wh for wh in active_warehouses() if region_match(wh.regions, address) is not None]
