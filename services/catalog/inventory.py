"""Stock: levels per variant in the default warehouse, and the conditional updates
that take and give back units.

`take_stock` decrements with `UPDATE ... SET quantity = quantity - n WHERE
quantity >= n`, variants in id order (so concurrent checkouts lock rows in
the same order and cannot deadlock); stock can never go negative.
Every change is announced to the live stock streams once its transaction
commits (`stock_live.publish_stock_changed`).
"""

from __future__ import annotations

import logging

from peewee import fn

from models.catalog import InventoryLevel, Variant
from models.db import utcnow
from models.wishlists import WishlistItem
from services.catalog.stock_live import publish_stock_changed
from services.catalog.warehouses import default_warehouse, default_warehouse_id
from services.errors import InsufficientStock, NotFound, ValidationFailed
from services.platform import events

log = logging.getLogger(__name__)

def stock_levels(variant_ids) -> dict[str, int]:
    """Units on hand in the default warehouse per variant id (missing rows count 0)."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = InventoryLevel.select(InventoryLevel.variant, InventoryLevel.quantity).where(
        InventoryLevel.variant.in_(ids), InventoryLevel.warehouse == default_warehouse_id())
    levels = {vid: 0 for vid in ids}
    levels.update({row.variant_id: row.quantity for row in rows})
    return levels


def _wishlisted_sold_out(variant_ids) -> set:
    """Products of these variants that are on someone's wishlist and have no units on hand at all."""
    products = Variant.select(Variant.product).where(Variant.id.in_(list(variant_ids)))
    watched = [pid for (pid,) in WishlistItem.select(WishlistItem.product).where(
        WishlistItem.product.in_(products)).distinct().tuples()]
    return {pid for pid in watched if _product_units(pid) == 0}


def _product_units(product_id: str) -> int:
    return (InventoryLevel.select(fn.COALESCE(fn.SUM(InventoryLevel.quantity), 0)).join(Variant)
            .where(Variant.product == product_id, InventoryLevel.warehouse == default_warehouse_id(),
                   Variant.archived_at.is_null()).scalar()) or 0


def _emit_back_in_stock(sold_out: set) -> None:
    """Emit `wishlist.back_in_stock` (product id; data productId, quantity) for each product of
    `sold_out` (see `_wishlisted_sold_out`, taken before the change) that now has units."""
    for product_id in sorted(sold_out):
        units = _product_units(product_id)
        if units > 0:
            events.emit("wishlist.back_in_stock", product_id, {"productId": product_id, "quantity": units})


def set_stock(variant_id: str, quantity: int) -> int:
    """Set the on-hand units of a variant (>= 0); returns the new quantity.

    A wishlisted product going from no units to some emits `wishlist.back_in_stock`.
    Raises ValidationFailed for a negative quantity, NotFound for an unknown variant.
    """
    if quantity < 0:
        raise ValidationFailed("Stock cannot be negative", reason="negative_stock",
                               details=[{"field": "inventoryCount", "message": "Must be >= 0"}])
    if not Variant.select().where(Variant.id == variant_id).exists():
        raise NotFound("Variant not found", reason="variant_not_found")
    wh = default_warehouse().id
    sold_out = _wishlisted_sold_out([variant_id]) if quantity > 0 else set()
    updated = InventoryLevel.update(quantity=quantity, updated_at=utcnow()).where(
        InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
    if not updated:
        InventoryLevel.insert(variant=variant_id, warehouse=wh, quantity=quantity).on_conflict(
            conflict_target=[InventoryLevel.variant, InventoryLevel.warehouse],
            update={InventoryLevel.quantity: quantity}).execute()
    _emit_back_in_stock(sold_out)
    publish_stock_changed([variant_id])
    return quantity


def adjust_stock(variant_id: str, delta: int) -> int:
    """Add `delta` units (may be negative, never below 0); returns the new quantity.

    Raises InsufficientStock when the result would be negative.
    """
    wh = default_warehouse_id()
    if delta >= 0:
        sold_out = _wishlisted_sold_out([variant_id]) if delta > 0 else set()
        set_if_missing = InventoryLevel.update(quantity=InventoryLevel.quantity + delta, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
        if not set_if_missing:
            set_stock(variant_id, delta)
        else:
            _emit_back_in_stock(sold_out)
    else:
        changed = InventoryLevel.update(quantity=InventoryLevel.quantity + delta, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh,
            InventoryLevel.quantity >= -delta).execute()
        if not changed:
            raise InsufficientStock("Not enough stock to remove", reason="out_of_stock")
    publish_stock_changed([variant_id])
    return stock_levels([variant_id])[variant_id]


def take_stock(quantities: dict[str, int]) -> None:
    """Decrement each variant by its quantity, in variant-id order; call inside a transaction.

    Raises InsufficientStock (409, details name the variants short) on the first
    variant without enough units; the caller's transaction then rolls back all.
    """
    wh = default_warehouse_id()
    for variant_id in sorted(quantities):
        n = quantities[variant_id]
        changed = InventoryLevel.update(quantity=InventoryLevel.quantity - n, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh,
            InventoryLevel.quantity >= n).execute()
        if changed != 1:
            available = stock_levels([variant_id])[variant_id]
            raise InsufficientStock(
                "Inventory insufficient for one or more items", reason="out_of_stock",
                details=[{"field": f"items.{variant_id}", "message": f"Requested {n}, available {available}"}])
    _emit_low_stock(quantities)
    publish_stock_changed(quantities)


def _emit_low_stock(taken: dict[str, int]) -> None:
    """Emit `stock.low` for each variant this decrement took to or below its threshold
    (only on the crossing, so one alert per dip)."""
    rows = (Variant.select(Variant.id, Variant.low_stock_threshold, InventoryLevel.quantity)
            .join(InventoryLevel, on=(InventoryLevel.variant == Variant.id))
            .where(Variant.id.in_(list(taken)), InventoryLevel.warehouse == default_warehouse_id()).objects())
    for row in rows:
        before = row.quantity + taken[row.id]
        if row.quantity <= row.low_stock_threshold < before:
            events.emit("stock.low", row.id, {"quantity": row.quantity, "threshold": row.low_stock_threshold})


def release_stock(quantities: dict[str, int]) -> None:
    """Give units back (a cancelled or failed order); call inside a transaction.

    Archived variants get their units back like any other. A variant whose row no longer
    exists (deleted before variants were archived) is skipped with a warning: there is
    nothing to give the units back to, and the cancellation must not fail for it.
    A wishlisted product going from no units to some emits `wishlist.back_in_stock`."""
    wh = default_warehouse_id()
    sold_out = _wishlisted_sold_out(quantities)
    released = []
    for variant_id in sorted(quantities):
        changed = InventoryLevel.update(quantity=InventoryLevel.quantity + quantities[variant_id],
                                        updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
        if not changed:
            if not Variant.select().where(Variant.id == variant_id).exists():
                log.warning("release_stock: variant %s no longer exists; %d unit(s) not given back",
                            variant_id, quantities[variant_id])
                continue
            set_stock(variant_id, quantities[variant_id])
        released.append(variant_id)
    _emit_back_in_stock(sold_out)
    publish_stock_changed(released)
