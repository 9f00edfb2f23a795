"""What every stock change announces once its level changed (issue 9: "Low-stock alerts fire
for every kind of stock change").

The writer takes `snapshot(variant_ids, warehouse)` (or `snapshot_pairs` for a change across
warehouses: available units, i.e. on hand minus reserved, per variant and warehouse, and each
variant's sellable total over active warehouses) before its UPDATE and calls `announce(before)`
after it, inside the same transaction. A change that can only lower the available units (a sale)
may instead pass `falling_change(deltas)` after its UPDATEs: one read fewer, and no wishlist
watch (nothing comes back in stock). `announce` then:

- per variant and warehouse, emits `stock.low` (subject: variant id; data `{"quantity":
  available, "threshold", "onHand", "reserved", "warehouseId"}`) when the change took the available units from above the
  variant's `low_stock_threshold` to at or below it (only on the crossing: one alert per dip,
  whatever the change: a sale, a staff edit from 90 to 5, a reservation, an import);
- per variant, from 0 sellable units (all active warehouses) to more: notifies the variant's
  back-in-stock requests (services.catalog.back_in_stock) and, for a wishlisted product that had no available unit
  in any variant, emits `wishlist.back_in_stock` (subject: product id; data `{"productId",
  "quantity"}`);
- writes a `purchase_reorder` job for each reorder rule (variant and warehouse) whose point the
  change crossed downwards (services.catalog.reorder_points);
- publishes the products' stock after commit (services.catalog.stock_live).

Low stock and "back" are judged on available units, the number shoppers see.
"""

from __future__ import annotations

from typing import NamedTuple

from peewee import JOIN, fn

from models.catalog import InventoryLevel, Variant, Warehouse
from models.inventory import StockReservation
from models.purchasing import ReorderRule
from models.wishlists import WishlistItem
from services.catalog.back_in_stock import notify_requesters
from services.catalog.reorder_points import queue_reorders
from services.catalog.stock_live import publish_product_stock
from services.catalog.warehouses import active_warehouse_ids
from services.platform import events


def units_for(cart_id: str | None = None):
    """Expression over InventoryLevel: a level's available units (on hand - reserved), plus, with
    `cart_id`, what that cart's own active reservations hold in it (what the cart may buy there)."""
    units = InventoryLevel.quantity - InventoryLevel.reserved
    if not cart_id:
        return units
    return units + (StockReservation.select(fn.COALESCE(fn.SUM(StockReservation.quantity), 0))
                    .where((StockReservation.cart == cart_id) & (StockReservation.status == "active")
                           & (StockReservation.variant == InventoryLevel.variant)
                           & (StockReservation.warehouse == InventoryLevel.warehouse)))


def available_units(variant_ids, warehouse_id: str | None = None, cart_id: str | None = None) -> dict[str, int]:
    """Available units (on hand - reserved) per variant id in the warehouse, or with no
    warehouse the sellable units over all active warehouses (no level: 0); with `cart_id`, what
    that cart may buy (`units_for`). One query."""
    ids = list(dict.fromkeys(variant_ids))
    levels = {vid: 0 for vid in ids}
    if ids:
        query = (InventoryLevel.select(InventoryLevel.variant, fn.SUM(units_for(cart_id)))
                 .where(InventoryLevel.variant.in_(ids)).group_by(InventoryLevel.variant))
        query = query.where(InventoryLevel.warehouse == warehouse_id) if warehouse_id else query.where(
            InventoryLevel.warehouse.in_(active_warehouse_ids()))
        levels.update({vid: int(units or 0) for vid, units in query.tuples()})
    return levels


def _product_available(product_id: str) -> int:
    """Sellable units of the product's live variants (active warehouses)."""
    return (InventoryLevel.select(fn.COALESCE(fn.SUM(InventoryLevel.quantity - InventoryLevel.reserved), 0))
            .join(Variant).where(Variant.product == product_id, InventoryLevel.warehouse.in_(active_warehouse_ids()),
                                 Variant.archived_at.is_null()).scalar()) or 0


class Levels(NamedTuple):
    """The variants' stock now (`_levels`): `pairs` `{(variant id, warehouse id): (on hand, reserved,
    available)}` for the rows that exist; `totals` `{variant id: sellable units over active
    warehouses}` (every id asked: 0 without rows); `thresholds` and `products` `{variant id:
    low_stock_threshold / product id}` for the variants that exist."""
    pairs: dict[tuple[str, str], tuple[int, int, int]]
    totals: dict[str, int]
    thresholds: dict[str, int]
    products: dict[str, str]
    active: set[str]  # the active warehouses among the rows
    rules: dict[tuple[str, str], tuple[str, int]]  # the active reorder rules' (id, reorder point) per pair


def _levels(variant_ids) -> Levels:
    """One query over the variants' stock rows in every warehouse (see Levels)."""
    ids = list(dict.fromkeys(variant_ids))
    levels = Levels({}, {vid: 0 for vid in ids}, {}, {}, set(), {})
    if not ids:
        return levels
    pairs, totals, thresholds = levels.pairs, levels.totals, levels.thresholds
    rows = (Variant.select(Variant.id, Variant.low_stock_threshold, Variant.product, InventoryLevel.warehouse,
                           InventoryLevel.quantity, InventoryLevel.reserved, Warehouse.active, ReorderRule.id,
                           ReorderRule.reorder_point)
            .join(InventoryLevel, JOIN.LEFT_OUTER, on=(InventoryLevel.variant == Variant.id))
            .join(Warehouse, JOIN.LEFT_OUTER, on=(InventoryLevel.warehouse == Warehouse.id))
            .join(ReorderRule, JOIN.LEFT_OUTER, on=((ReorderRule.variant == Variant.id)
                                                    & (ReorderRule.warehouse == InventoryLevel.warehouse)
                                                    & (ReorderRule.is_active == True)))  # noqa: E712
            .where(Variant.id.in_(ids)).tuples())
    for vid, threshold, product_id, warehouse_id, quantity, reserved, active, rule_id, point in rows:
        thresholds[vid] = threshold
        levels.products[vid] = product_id
        if warehouse_id is None:
            continue
        pairs[(vid, warehouse_id)] = (quantity, reserved, quantity - reserved)
        if rule_id is not None:
            levels.rules[(vid, warehouse_id)] = (rule_id, point)
        if active:
            totals[vid] += quantity - reserved
            levels.active.add(warehouse_id)
    return levels


class Snapshot:
    """Available units of some (variant, warehouse) pairs before a change, the variants'
    sellable totals, and which wishlisted products had no sellable unit; or, made by
    `falling_change`, only the change (`deltas`), the before-state derived from the levels after."""

    deltas: dict[tuple[str, str], int] | None = None

    def __init__(self, pairs, read: bool = True):
        self.pairs = sorted(dict.fromkeys(pairs))
        self.totals = {vid: 0 for vid, _ in self.pairs}
        self.before, self.sold_out_wishlisted = {}, set()
        if not read:
            return
        levels = _levels([vid for vid, _ in self.pairs])
        self.totals = levels.totals
        self.before = {pair: levels.pairs.get(pair, (0, 0, 0))[2] for pair in self.pairs}
        products = sorted(set(levels.products.values()))
        watched = [pid for (pid,) in WishlistItem.select(WishlistItem.product).where(
            WishlistItem.product.in_(products)).distinct().tuples()] if products else []
        self.sold_out_wishlisted = {pid for pid in watched if _product_available(pid) <= 0}


def snapshot(variant_ids, warehouse_id: str) -> Snapshot:
    """Take the before-state of a change of these variants in one warehouse (see the module
    docstring); call inside its transaction."""
    return Snapshot([(vid, warehouse_id) for vid in variant_ids])


def snapshot_pairs(pairs) -> Snapshot:
    """Take the before-state of a change of (variant id, warehouse id) pairs in several warehouses."""
    return Snapshot(pairs)


def falling_change(deltas: dict[tuple[str, str], int]) -> Snapshot:
    """The before-state of a change already applied that can only lower the available units (a
    sale), from the change itself: `deltas` `{(variant id, warehouse id): available units added,
    <= 0}`. Reads nothing now; `announce` derives the before-state from the levels it reads (exact
    for the changed rows, which the change's UPDATE locked)."""
    snap = Snapshot(deltas, read=False)
    snap.deltas = dict(deltas)
    return snap


def announce(before: Snapshot) -> None:
    """Compare with the levels now and emit / publish what changed (module docstring)."""
    if not before.pairs:
        return
    levels, totals, thresholds, products, active, rules = _levels(list(before.totals))  # the levels now: one read
    if before.deltas is not None:
        before.before = {pair: levels.get(pair, (0, 0, 0))[2] - delta for pair, delta in before.deltas.items()}
        before.totals = dict(totals)
        for (variant_id, warehouse_id), delta in before.deltas.items():
            if warehouse_id in active:
                before.totals[variant_id] -= delta
    changes: dict[tuple[str, str], tuple[int, int]] = {}
    for variant_id, warehouse_id in before.pairs:
        quantity, reserved, now = levels.get((variant_id, warehouse_id), (0, 0, 0))
        if variant_id not in thresholds:
            continue
        was, threshold = before.before[(variant_id, warehouse_id)], thresholds[variant_id]
        changes[(variant_id, warehouse_id)] = (was, now)
        if now <= threshold < was:
            events.emit("stock.low", variant_id, {"quantity": now, "threshold": threshold, "onHand": quantity,
                                                  "reserved": reserved, "warehouseId": warehouse_id})
    for variant_id in sorted(before.totals):
        if variant_id in thresholds and before.totals[variant_id] <= 0 < totals[variant_id]:
            notify_requesters(variant_id, totals[variant_id])
    queue_reorders(changes, rules)
    for product_id in sorted(before.sold_out_wishlisted):
        units = _product_available(product_id)
        if units > 0:
            events.emit("wishlist.back_in_stock", product_id, {"productId": product_id, "quantity": units})
    publish_product_stock(sorted(set(products.values())))
