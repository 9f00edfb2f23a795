"""Stock: levels per variant and warehouse, and the conditional updates that set, adjust,
restock, take and give back units.

A level has `quantity` (units on hand) and `reserved` (units held by cart reservations,
services.catalog.reservations); shoppers can buy `quantity - reserved` ("available", the
number every read shows). Writes take a `warehouse_id` (default: the default warehouse);
reads without one sum the active warehouses (services.catalog.warehouses). Checkout takes
and cancellations give back per (variant, warehouse) pair (`take_allocated`,
`release_allocated`) after services.orders.allocation chose the warehouses.

Every change, in the caller's transaction:
- is one conditional UPDATE per level (`take_allocated`: `SET quantity = quantity - n WHERE
  quantity - reserved >= n`, in (variant, warehouse) order, so concurrent checkouts lock rows in
  the same order and cannot deadlock); stock can never go negative nor below what is reserved;
- writes its `StockMovement` (services.catalog.stock_ledger);
- announces itself (services.catalog.stock_alerts: `stock.low` on crossing the threshold,
  back-in-stock notifications, live stock streams after commit).
"""

from __future__ import annotations

import logging

from peewee import JOIN

from models.catalog import InventoryLevel, Variant, Warehouse
from models.db import atomic, is_postgres, utcnow
from models.inventory import StockReservation
from services.catalog import stock_alerts
from services.catalog.stock_ledger import record_movement
from services.catalog.warehouses import default_warehouse, default_warehouse_id
from services.errors import Conflict, InsufficientStock, NotFound, ValidationFailed

log = logging.getLogger(__name__)


def stock_levels(variant_ids, cart_id: str | None = None, warehouse_id: str | None = None) -> dict[str, int]:
    """Available units (on hand - reserved) per variant id (missing rows count 0): in
    `warehouse_id`, or without it the sellable units over all active warehouses. With
    `cart_id`, the units that cart's own active reservations hold there are added back (what
    that cart may buy: at checkout `take_allocated` frees them for it, expired or not). One query."""
    return stock_alerts.available_units(variant_ids, warehouse_id, cart_id)


def stocked_warehouses(variant_ids, cart_id: str | None) -> list[tuple[Warehouse, dict[str, int]]]:
    """The active warehouses in allocation order (priority, then code; as
    services.catalog.warehouses.active_warehouses), each with `{variant id: units}` for every id
    given as `stock_levels` counts them for the cart (`cart_id`): one query for both."""
    ids = list(dict.fromkeys(variant_ids))
    query = (Warehouse.select(Warehouse, InventoryLevel.variant.alias("level_variant"),
                              stock_alerts.units_for(cart_id).alias("level_units"))
             .join(InventoryLevel, JOIN.LEFT_OUTER, on=((InventoryLevel.warehouse == Warehouse.id)
                                                        & InventoryLevel.variant.in_(ids or [""])))
             .where(Warehouse.active == True)  # noqa: E712
             .order_by(Warehouse.priority, Warehouse.code).objects())
    found: dict[str, tuple[Warehouse, dict[str, int]]] = {}
    for row in query:
        _, units = found.setdefault(row.id, (row, {vid: 0 for vid in ids}))
        if row.level_variant is not None:
            units[row.level_variant] = int(row.level_units or 0)
    return list(found.values())


def _locked_level(variant_id: str, wh: str) -> InventoryLevel | None:
    """The level row, locked FOR UPDATE on PostgreSQL (SQLite: `atomic()` holds the write lock)."""
    query = InventoryLevel.select().where(InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh)
    return (query.for_update() if is_postgres() else query).first()


def _ensure_level(variant_id: str, wh: str) -> InventoryLevel:
    """The level row (locked), created with 0 units when missing. Raises NotFound for an unknown
    variant (`variant_not_found`) or warehouse (`warehouse_not_found`)."""
    level = _locked_level(variant_id, wh)
    if level is not None:
        return level
    if not Variant.select().where(Variant.id == variant_id).exists():
        raise NotFound("Variant not found", reason="variant_not_found")
    if wh == default_warehouse_id():
        default_warehouse()
    elif not Warehouse.select().where(Warehouse.id == wh).exists():
        raise NotFound("Warehouse not found", reason="warehouse_not_found")
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


def transfer_stock(variant_id: str, from_warehouse_id: str, to_warehouse_id: str, quantity: int,
                   actor_id: str | None = None, note: str = "") -> dict[str, int]:
    """Move `quantity` (> 0) available units of a variant between two warehouses: two `transfer`
    movements (-n at the source, +n at the destination, each referencing the other
    warehouse), in one transaction. Returns `{"from": available units left at the source,
    "to": available units at the destination}`.
    Raises ValidationFailed (422 `invalid_quantity`, `same_warehouse`), NotFound
    (`variant_not_found`, `warehouse_not_found`), InsufficientStock (409 `out_of_stock`:
    fewer available units at the source)."""
    if quantity <= 0:
        raise ValidationFailed("A transfer moves at least one unit", reason="invalid_quantity",
                               details=[{"field": "quantity", "message": "Must be > 0"}])
    if from_warehouse_id == to_warehouse_id:
        raise ValidationFailed("Source and destination are the same warehouse", reason="same_warehouse",
                               details=[{"field": "toWarehouseId", "message": "Must differ from fromWarehouseId"}])
    with atomic():
        for wh in sorted((from_warehouse_id, to_warehouse_id)):  # lock order: warehouse id
            _ensure_level(variant_id, wh)
        before = stock_alerts.snapshot_pairs([(variant_id, from_warehouse_id), (variant_id, to_warehouse_id)])
        moved = InventoryLevel.update(quantity=InventoryLevel.quantity - quantity, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == from_warehouse_id,
            InventoryLevel.quantity - InventoryLevel.reserved >= quantity).execute()
        if not moved:
            raise InsufficientStock("Not enough available units to transfer", reason="out_of_stock",
                                    details=[{"field": "quantity", "message": "More than the source has available"}])
        InventoryLevel.update(quantity=InventoryLevel.quantity + quantity, updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == to_warehouse_id).execute()
        record_movement(variant_id, from_warehouse_id, "transfer", quantity=-quantity, reference=to_warehouse_id,
                        actor_id=actor_id, note=note)
        record_movement(variant_id, to_warehouse_id, "transfer", quantity=quantity, reference=from_warehouse_id,
                        actor_id=actor_id, note=note)
        stock_alerts.announce(before)
        levels = {wh: stock_levels([variant_id], warehouse_id=wh)[variant_id]
                  for wh in (from_warehouse_id, to_warehouse_id)}
    return {"from": levels[from_warehouse_id], "to": levels[to_warehouse_id]}


def take_stock(quantities: dict[str, int], cart_id: str | None = None, reference: str = "",
               warehouse_id: str | None = None) -> None:
    """Sell each variant's quantity from one warehouse (default: the default warehouse); see
    `take_allocated`, which this calls with every unit from that warehouse."""
    wh = warehouse_id or default_warehouse_id()
    take_allocated({(variant_id, wh): n for variant_id, n in quantities.items()}, cart_id=cart_id,
                   reference=reference)


def take_allocated(allocation: dict[tuple[str, str], int], cart_id: str | None = None,
                   reference: str = "") -> list[StockReservation]:
    """Sell `allocation` (`{(variant id, warehouse id): units}`), in (variant, warehouse) order
    (the order reservations lock levels in, so concurrent checkouts and reservations cannot
    deadlock); call inside a transaction.

    With `cart_id`, the cart's active reservations of these (variant, warehouse) pairs end here,
    their units available again in the same statement: `SET quantity = quantity - n, reserved =
    reserved - held WHERE quantity - reserved + held >= n`, so the held units serve the cart
    first and the rest comes from the available units. An unexpired hold ends `consumed`; an
    expired one (not yet ended by the expiry task) ends `expired`: it no longer held anything
    for the cart, its units are simply available again to whoever buys first. The cart's other
    holds are left alone and returned (locked, still active: checkout releases them; `[]` without
    `cart_id`).
    One `sale` movement per pair (reference: `reference`, else the cart id).
    Raises InsufficientStock (409, details name the variants short) on the first pair without
    enough units; the caller's transaction (or savepoint) then rolls back all. Nothing is written
    before the first pair's conditional UPDATE succeeds (reads and row locks only), so a failure
    on the first pair leaves no write to undo.
    """
    pairs = sorted(allocation)
    now = utcnow()
    holds: dict[tuple[str, str], StockReservation] = {}
    others: list[StockReservation] = []
    if cart_id:
        query = StockReservation.select().where(StockReservation.cart == cart_id, StockReservation.status == "active")
        for row in (query.for_update() if is_postgres() else query):
            if (row.variant_id, row.warehouse_id) in allocation:
                holds[(row.variant_id, row.warehouse_id)] = row
            else:
                others.append(row)
    # Available units only fall (the before-state follows from the change), unless a hold is larger
    # than what the order takes from it.
    rising = any(r.quantity > allocation[p] for p, r in holds.items())
    before = stock_alerts.snapshot_pairs(pairs) if rising else None
    deltas: dict[tuple[str, str], int] = {}  # available units added per pair (falling_change)
    for variant_id, wh in pairs:
        n = allocation[(variant_id, wh)]
        hold = holds.get((variant_id, wh))
        held = hold.quantity if hold else 0
        deltas[(variant_id, wh)] = held - n
        changed = list(InventoryLevel.update(quantity=InventoryLevel.quantity - n,
                                             reserved=InventoryLevel.reserved - held, updated_at=now).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh,
            InventoryLevel.quantity - InventoryLevel.reserved + held >= n)
            .returning(InventoryLevel.quantity, InventoryLevel.reserved).tuples().execute())
        if len(changed) != 1:
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
                        reference=reference or cart_id or "", note=note, after=changed[0])
    stock_alerts.announce(before or stock_alerts.falling_change(deltas))
    return others


def release_stock(quantities: dict[str, int], reference: str = "", warehouse_id: str | None = None) -> None:
    """Give units back to one warehouse (default: the default warehouse); see `release_allocated`."""
    wh = warehouse_id or default_warehouse_id()
    release_allocated({(variant_id, wh): n for variant_id, n in quantities.items()}, reference=reference)


def release_allocated(allocation: dict[tuple[str, str], int], reference: str = "") -> None:
    """Give units back (a cancelled or failed order; `reference`: its id) to the warehouses they
    were taken from (`{(variant id, warehouse id): units}`); call inside a transaction. One
    `release` movement per pair, in (variant, warehouse) order.

    Archived variants get their units back like any other. A variant whose row no longer
    exists (deleted before variants were archived) is skipped with a warning: there is
    nothing to give the units back to, and the cancellation must not fail for it."""
    variant_ids = {vid for vid, _ in allocation}
    present = {vid for (vid,) in Variant.select(Variant.id).where(Variant.id.in_(list(variant_ids))).tuples()}
    for (variant_id, wh), n in sorted(allocation.items()):
        if variant_id not in present:
            log.warning("release_stock: variant %s no longer exists; %d unit(s) not given back to %s",
                        variant_id, n, wh)
    pairs = sorted(pair for pair in allocation if pair[0] in present)
    for variant_id, wh in pairs:
        _ensure_level(variant_id, wh)
    before = stock_alerts.snapshot_pairs(pairs)
    for variant_id, wh in pairs:
        InventoryLevel.update(quantity=InventoryLevel.quantity + allocation[(variant_id, wh)],
                              updated_at=utcnow()).where(
            InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh).execute()
        record_movement(variant_id, wh, "release", quantity=allocation[(variant_id, wh)], reference=reference)
    stock_alerts.announce(before)
