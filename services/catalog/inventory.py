"""Stock: levels per variant and warehouse, and the conditional updates that set, adjust,
restock, take and give back units.

A level has `quantity` (units on hand) and `reserved` (units held by cart reservations,
services.catalog.reservations); shoppers can buy `quantity - reserved` ("available", the
number every read shows). Every function takes a `warehouse_id` (default: the default
warehouse, today the only one) so allocation can pick warehouses later.

Every change, in the caller's transaction:
- is one conditional UPDATE per variant (`take_stock`: `SET quantity = quantity - n WHERE
  quantity - reserved >= n`, variants in id order, so concurrent checkouts lock rows in the same
  order and cannot deadlock); stock can never go negative nor below what is reserved;
- writes its `StockMovement` (services.catalog.stock_ledger);
- announces itself (services.catalog.stock_alerts: `stock.low` on crossing the threshold,
  back-in-stock notifications, live stock streams after commit).
"""

from __future__ import annotations

import logging

from models.catalog import InventoryLevel, Variant
from models.db import atomic, is_postgres, utcnow
from models.inventory import StockReservation
from services.catalog import stock_alerts
from services.catalog.stock_ledger import record_movement
from services.catalog.warehouses import default_warehouse, default_warehouse_id
from services.errors import Conflict, InsufficientStock, NotFound, ValidationFailed

log = logging.getLogger(__name__)


def stock_levels(variant_ids, cart_id: str | None = None, warehouse_id: str | None = None) -> dict[str, int]:
    """Available units (on hand - reserved) per variant id (missing rows count 0). With `cart_id`,
    the units that cart's own active reservations hold are added back (what that cart may buy:
    at checkout `take_stock` frees them for it, expired or not)."""
    wh = warehouse_id or default_warehouse_id()
    levels = stock_alerts.available_units(variant_ids, wh)
    if cart_id and levels:
        for variant_id, held in (StockReservation.select(StockReservation.variant, StockReservation.quantity)
                                 .where(StockReservation.cart == cart_id, StockReservation.status == "active",
                                        StockReservation.warehouse == wh,
                                        StockReservation.variant.in_(list(levels))).tuples()):
            levels[variant_id] += held
    return levels


def _locked_level(variant_id: str, wh: str) -> InventoryLevel | None:
    """The level row, locked FOR UPDATE on PostgreSQL (SQLite: `atomic()` holds the write lock)."""
    query = InventoryLevel.select().where(InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh)
    return (query.for_update() if is_postgres() else query).first()


def _ensure_level(variant_id: str, wh: str) -> InventoryLevel:
    """The level row (locked), created with 0 units when missing. Raises NotFound for an unknown variant."""
    level = _locked_level(variant_id, wh)
    if level is not None:
        return level
    if not Variant.select().where(Variant.id == variant_id).exists():
        raise NotFound("Variant not found", reason="variant_not_found")
    if wh == default_warehouse_id():
        default_warehouse()
    InventoryLevel.insert(variant=variant_id, warehouse=wh, quantity=0).on_conflict_ignore().execute()
    return _locked_level(variant_id, wh)


def set_stock(variant_id: str, quantity: int, warehouse_id: str | None = None, actor_id: str | None = None,
              reference: str = "", note: str = "") -> int:
    """Set the on-hand units of a variant (>= 0, and not below its reserved units); returns the new
    quantity. Writes an `adjustment` movement of the difference (none when unchanged).

    Raises ValidationFailed (422 `negative_stock`), NotFound (`variant_not_found`), Conflict (409
    `stock_reserved`: fewer units than carts hold; release the reservations or wait for them).
    """
    if quantity < 0:
        raise ValidationFailed("Stock cannot be negative", reason="negative_stock",
                               details=[{"field": "inventoryCount", "message": "Must be >= 0"}])
    wh = warehouse_id or default_warehouse_id()
    with atomic():
        level = _ensure_level(variant_id, wh)
        if quantity < level.reserved:
            raise Conflict(f"{level.reserved} unit(s) are reserved by carts", reason="stock_reserved",
                           details=[{"field": "inventoryCount", "message": f"At least {level.reserved}"}])
        delta = quantity - level.quantity
        if delta:
            before = stock_alerts.snapshot([variant_id], wh)
            InventoryLevel.update(quantity=quantity, updated_at=utcnow()).where(
                InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
            record_movement(variant_id, wh, "adjustment", quantity=delta, reference=reference, actor_id=actor_id,
                            note=note)
            stock_alerts.announce(before)
    return quantity


def _add_units(variant_id: str, delta: int, kind: str, wh: str, actor_id: str | None, reference: str,
               note: str) -> int:
    """Add `delta` (> 0) units on hand with a `kind` movement; returns the new on-hand quantity."""
    with atomic():
        _ensure_level(variant_id, wh)
        before = stock_alerts.snapshot([variant_id], wh)
        InventoryLevel.update(quantity=InventoryLevel.quantity + delta, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
        movement = record_movement(variant_id, wh, kind, quantity=delta, reference=reference, actor_id=actor_id,
                                   note=note)
        stock_alerts.announce(before)
    return movement.quantity_after


def adjust_stock(variant_id: str, delta: int, warehouse_id: str | None = None, actor_id: str | None = None,
                 reference: str = "", note: str = "") -> int:
    """Add `delta` units on hand (may be negative: never below the reserved units); returns the
    new available units. Writes an `adjustment` movement.

    Raises InsufficientStock (409 `out_of_stock`) when fewer than `-delta` units are available,
    NotFound for an unknown variant.
    """
    wh = warehouse_id or default_warehouse_id()
    if delta > 0:
        _add_units(variant_id, delta, "adjustment", wh, actor_id, reference, note)
    elif delta < 0:
        with atomic():
            before = stock_alerts.snapshot([variant_id], wh)
            changed = InventoryLevel.update(quantity=InventoryLevel.quantity + delta, updated_at=utcnow()).where(
                InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh,
                InventoryLevel.quantity - InventoryLevel.reserved >= -delta).execute()
            if not changed:
                raise InsufficientStock("Not enough stock to remove", reason="out_of_stock")
            record_movement(variant_id, wh, "adjustment", quantity=delta, reference=reference, actor_id=actor_id,
                            note=note)
            stock_alerts.announce(before)
    return stock_levels([variant_id], warehouse_id=wh)[variant_id]


def restock(variant_id: str, quantity: int, warehouse_id: str | None = None, actor_id: str | None = None,
            reference: str = "", note: str = "") -> int:
    """Record `quantity` (> 0) units received: a `restock` movement; customers waiting for the
    variant are notified when it goes from 0 available to more. Returns the new on-hand units.
    Raises ValidationFailed (`invalid_quantity`), NotFound (`variant_not_found`)."""
    if quantity <= 0:
        raise ValidationFailed("A restock adds at least one unit", reason="invalid_quantity",
                               details=[{"field": "quantity", "message": "Must be > 0"}])
    return _add_units(variant_id, quantity, "restock", warehouse_id or default_warehouse_id(), actor_id,
                      reference, note)


def take_stock(quantities: dict[str, int], cart_id: str | None = None, reference: str = "",
               warehouse_id: str | None = None) -> None:
    """Sell each variant's quantity, in variant-id order; call inside a transaction.

    With `cart_id`, the cart's active reservations of these variants end here, their units
    available again in the same statement: `SET quantity = quantity - n, reserved = reserved -
    held WHERE quantity - reserved + held >= n`, so the held units serve the cart first and the
    rest of each line comes from the available units. An unexpired hold ends `consumed`; an
    expired one (not yet ended by the expiry task) ends `expired`: it no longer held anything
    for the cart, its units are simply available again to whoever buys first.
    One `sale` movement per variant (reference: `reference`, else the cart id).
    Raises InsufficientStock (409, details name the variants short) on the first variant
    without enough units; the caller's transaction then rolls back all.
    """
    wh = warehouse_id or default_warehouse_id()
    before = stock_alerts.snapshot(quantities, wh)
    now = utcnow()
    holds: dict[str, StockReservation] = {}
    if cart_id:
        query = StockReservation.select().where(StockReservation.cart == cart_id, StockReservation.warehouse == wh,
                                                StockReservation.status == "active",
                                                StockReservation.variant.in_(list(quantities)))
        holds = {r.variant_id: r for r in (query.for_update() if is_postgres() else query)}
    for variant_id in sorted(quantities):
        n = quantities[variant_id]
        hold = holds.get(variant_id)
        held = hold.quantity if hold else 0
        changed = InventoryLevel.update(quantity=InventoryLevel.quantity - n,
                                        reserved=InventoryLevel.reserved - held, updated_at=now).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh,
            InventoryLevel.quantity - InventoryLevel.reserved + held >= n).execute()
        if changed != 1:
            available = stock_levels([variant_id], warehouse_id=wh)[variant_id] + held
            raise InsufficientStock(
                "Inventory insufficient for one or more items", reason="out_of_stock",
                details=[{"field": f"items.{variant_id}", "message": f"Requested {n}, available {available}"}])
        note = ""
        if hold:
            status = "consumed" if hold.expires_at > now else "expired"
            StockReservation.update(status=status, updated_at=now).where(StockReservation.id == hold.id).execute()
            note = f"reservation {hold.id} {status}"
        record_movement(variant_id, wh, "sale", quantity=-n, reserved_change=-held,
                        reference=reference or cart_id or "", note=note)
    stock_alerts.announce(before)


def release_stock(quantities: dict[str, int], reference: str = "", warehouse_id: str | None = None) -> None:
    """Give units back (a cancelled or failed order; `reference`: its id); call inside a transaction.
    One `release` movement per variant.

    Archived variants get their units back like any other. A variant whose row no longer
    exists (deleted before variants were archived) is skipped with a warning: there is
    nothing to give the units back to, and the cancellation must not fail for it."""
    wh = warehouse_id or default_warehouse_id()
    present = {vid for (vid,) in Variant.select(Variant.id).where(Variant.id.in_(list(quantities))).tuples()}
    for variant_id in sorted(set(quantities) - present):
        log.warning("release_stock: variant %s no longer exists; %d unit(s) not given back",
                    variant_id, quantities[variant_id])
    for variant_id in sorted(present):
        _ensure_level(variant_id, wh)
    before = stock_alerts.snapshot(sorted(present), wh)
    for variant_id in sorted(present):
        InventoryLevel.update(quantity=InventoryLevel.quantity + quantities[variant_id], updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
        record_movement(variant_id, wh, "release", quantity=quantities[variant_id], reference=reference)
    stock_alerts.announce(before)
