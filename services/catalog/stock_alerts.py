"""What every stock change announces once its level changed (issue 9: "Low-stock alerts fire
for every kind of stock change").

The writer takes `snapshot(variant_ids, warehouse)` (available units, i.e. on hand minus
reserved) before its UPDATE and calls `announce(before, warehouse)` after it, inside the same
transaction. `announce` then, per variant:

- emits `stock.low` (subject: variant id; data `{"quantity": available, "threshold", "onHand",
  "reserved", "warehouseId"}`) when the change took the available units from above the
  variant's `low_stock_threshold` to at or below it (only on the crossing: one alert per dip,
  whatever the change: a sale, a staff edit from 90 to 5, a reservation, an import);
- from 0 available to more: notifies the variant's back-in-stock requests
  (services.catalog.back_in_stock) and, for a wishlisted product that had no available unit
  in any variant, emits `wishlist.back_in_stock` (subject: product id; data `{"productId",
  "quantity"}`);
- writes a `purchase_reorder` job for each reorder rule whose point the change crossed
  downwards (services.catalog.reorder_points);
- publishes the products' stock after commit (services.catalog.stock_live).

Low stock and "back" are judged on available units, the number shoppers see.
"""

from __future__ import annotations

from peewee import fn

from models.catalog import InventoryLevel, Variant
from models.wishlists import WishlistItem
from services.catalog.back_in_stock import notify_requesters
from services.catalog.reorder_points import queue_reorders
from services.catalog.stock_live import publish_stock_changed
from services.platform import events


def available_units(variant_ids, warehouse_id: str) -> dict[str, int]:
    """Available units (on hand - reserved) per variant id in the warehouse (no level: 0)."""
    ids = list(dict.fromkeys(variant_ids))
    levels = {vid: 0 for vid in ids}
    if ids:
        levels.update({vid: q - r for vid, q, r in InventoryLevel.select(
            InventoryLevel.variant, InventoryLevel.quantity, InventoryLevel.reserved).where(
            InventoryLevel.variant.in_(ids), InventoryLevel.warehouse == warehouse_id).tuples()})
    return levels


def _product_available(product_id: str, warehouse_id: str) -> int:
    return (InventoryLevel.select(fn.COALESCE(fn.SUM(InventoryLevel.quantity - InventoryLevel.reserved), 0))
            .join(Variant).where(Variant.product == product_id, InventoryLevel.warehouse == warehouse_id,
                                 Variant.archived_at.is_null()).scalar()) or 0


class Snapshot:
    """Available units of some variants before a change (and which wishlisted products had none)."""

    def __init__(self, variant_ids, warehouse_id: str):
        self.warehouse_id = warehouse_id
        self.before = available_units(variant_ids, warehouse_id)
        products = Variant.select(Variant.product).where(Variant.id.in_(list(self.before)))
        watched = [pid for (pid,) in WishlistItem.select(WishlistItem.product).where(
            WishlistItem.product.in_(products)).distinct().tuples()] if self.before else []
        self.sold_out_wishlisted = {pid for pid in watched if _product_available(pid, warehouse_id) <= 0}


def snapshot(variant_ids, warehouse_id: str) -> Snapshot:
    """Take the before-state of a change (see the module docstring); call inside its transaction."""
    return Snapshot(variant_ids, warehouse_id)


def announce(before: Snapshot) -> None:
    """Compare with the levels now and emit / publish what changed (module docstring)."""
    ids = list(before.before)
    if not ids:
        return
    rows = (Variant.select(Variant.id, Variant.low_stock_threshold, InventoryLevel.quantity,
                           InventoryLevel.reserved)
            .join(InventoryLevel, on=(InventoryLevel.variant == Variant.id))
            .where(Variant.id.in_(ids), InventoryLevel.warehouse == before.warehouse_id).tuples())
    changes = {}
    for variant_id, threshold, quantity, reserved in rows:
        was, now = before.before[variant_id], quantity - reserved
        changes[variant_id] = (was, now)
        if now <= threshold < was:
            events.emit("stock.low", variant_id, {"quantity": now, "threshold": threshold, "onHand": quantity,
                                                  "reserved": reserved, "warehouseId": before.warehouse_id})
        if was <= 0 < now:
            notify_requesters(variant_id, now)
    queue_reorders(before.warehouse_id, changes)
    for product_id in sorted(before.sold_out_wishlisted):
        units = _product_available(product_id, before.warehouse_id)
        if units > 0:
            events.emit("wishlist.back_in_stock", product_id, {"productId": product_id, "quantity": units})
    publish_stock_changed(ids)
