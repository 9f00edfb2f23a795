"""Stock reservations (seed 004 `POST /inventory/reserve`): a cart holds units for a while.

- `reserve_stock(cart_id, items, minutes)`: in one transaction, the cart's row is locked (so one
  cart's reservations are written one request at a time) and, per variant in variant-id order,
  one conditional UPDATE `SET reserved = reserved + n WHERE quantity - reserved >= n` moves the
  units from available to reserved: two carts can never hold the last unit (the second UPDATE
  waits for the first's row lock, re-checks and matches nothing: 409 `out_of_stock`). Any item
  short rolls back the whole request.
- Re-reserving a variant for the same cart *replaces* that cart's reservation of it: the hold
  becomes the new quantity (only the difference moves) and its expiry restarts at now +
  `minutes`. Variants not named keep their reservations.
- Warehouses: each variant's hold is in one warehouse, the request's `warehouseId` or else
  the one already holding it when it has room, else the first active warehouse by priority
  with enough units (a reservation has no shipping address yet). Checkout's allocation
  (services.orders.allocation) counts the cart's holds as its own units and releases the
  holds it does not use.
- `release_reservations(cart_id)` ends the cart's active reservations (`released`).
- Checkout consumes the cart's reservations (services.catalog.inventory.take_allocated).
- `expire_reservations` (maintenance task, every minute) ends active reservations past
  `expires_at` (`expired`). Until it runs, an expired reservation still counts in `reserved`
  for reads; writes that care (checkout, re-reserving) already treat it as gone or replace it.

Every change writes a movement (`reservation` for a hold placed or grown, `reservation_release`
for one shrunk, released or expired) and is announced like any stock change (stock_alerts:
low stock on available units, live stock streams).
"""

from __future__ import annotations

import datetime as dt

from models.carts import Cart
from models.catalog import InventoryLevel, Product, Variant, Warehouse
from models.db import atomic, is_postgres, isoformat, utcnow
from models.inventory import StockReservation
from models.jobs import Job
from services.catalog import stock_alerts
from services.catalog.inventory import stock_levels
from services.catalog.stock_ledger import record_movement
from services.catalog.warehouses import active_warehouses, default_warehouse_id
from services.catalog.weights import line_weight, stock_units
from services.errors import Conflict, InsufficientStock, NotFound, ValidationFailed

DEFAULT_RESERVATION_MINUTES = 15
MAX_RESERVATION_MINUTES = 1440
EXPIRY_BATCH = 200


def _lock_active_cart(cart_id: str, now: dt.datetime) -> Cart:
    query = Cart.select().where(Cart.id == cart_id)
    cart = (query.for_update() if is_postgres() else query).first()
    if cart is None:
        raise NotFound("Cart not found", reason="cart_not_found")
    if cart.status != "active" or (cart.expires_at is not None and cart.expires_at <= now):
        raise Conflict(f"Cart is {'expired' if cart.status == 'active' else cart.status}", reason="cart_not_active")
    return cart


def _wanted(items: list[dict]) -> dict[str, int]:
    """Stock units wanted per variant id (duplicates summed), each a live variant of its active
    product; an item of a variant sold by weight holds `quantity` grams, or with `weight` (grams
    per piece, services.catalog.weights.line_weight) `quantity` pieces of it: quantity x weight
    grams. Raises ValidationFailed (400 `invalid_variant`, 422 `invalid_quantity`, the weight
    reasons of `line_weight`)."""
    wanted: dict[str, int] = {}
    for n, item in enumerate(items):
        if item["quantity"] < 1:
            raise ValidationFailed("Quantity must be > 0", reason="invalid_quantity",
                                   details=[{"field": f"items.{n}.quantity", "message": "Must be at least 1"}])
        found = (Variant.select(Variant.id, Variant.sold_by, Variant.weight_step_grams, Variant.min_weight_grams)
                 .join(Product).where(Variant.id == item["variant_id"], Variant.product == item["product_id"],
                                      Variant.archived_at.is_null(), Product.status == "active").first())
        if found is None:
            raise ValidationFailed("Invalid variant ID", reason="invalid_variant",
                                   details=[{"field": f"items.{n}.variantId",
                                             "message": "No such variant of this active product"}])
        weight = item.get("weight")
        grams = line_weight(found, weight, field=f"items.{n}.weight") if weight is not None else 0
        wanted[item["variant_id"]] = wanted.get(item["variant_id"], 0) + stock_units(item["quantity"], grams)
    return wanted


def _change_reserved(variant_id: str, wh: str, delta: int, reference: str) -> None:
    """Move `delta` units between available and reserved (conditional when growing) with its movement.
    Raises InsufficientStock when fewer than `delta` units are available."""
    if not delta:
        return
    query = InventoryLevel.update(reserved=InventoryLevel.reserved + delta, updated_at=utcnow()).where(
        InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh)
    if delta > 0:
        query = query.where(InventoryLevel.quantity - InventoryLevel.reserved >= delta)
    changed = list(query.returning(InventoryLevel.quantity, InventoryLevel.reserved).tuples().execute())
    if delta > 0 and not changed:
        available = stock_levels([variant_id], warehouse_id=wh)[variant_id]
        raise InsufficientStock("Not enough stock to reserve", reason="out_of_stock",
                                details=[{"field": f"items.{variant_id}",
                                          "message": f"Requested {delta} more, available {available}"}])
    record_movement(variant_id, wh, "reservation" if delta > 0 else "reservation_release",
                    reserved_change=delta, reference=reference, after=changed[0] if changed else None)


def _choose_warehouses(wanted: dict[str, int], existing: dict, warehouse_id: str | None) -> dict:
    """Where each variant's hold goes: `warehouse_id` when given; else the warehouse already
    holding it for this cart when it can hold the new quantity, else the first active
    warehouse (priority, then code) with that many available units (unlocked reads: the
    conditional UPDATE decides). Returns `{variant id: warehouse id}`."""
    if warehouse_id:
        return {vid: warehouse_id for vid in wanted}
    order = [wh.id for wh in active_warehouses()] or [default_warehouse_id()]
    chosen = {}
    for variant_id, n in wanted.items():
        held_in = [wh for (vid, wh), row in existing.items() if vid == variant_id and row.status == "active"]
        candidates = [wh for wh in held_in if wh in order] + [wh for wh in order if wh not in held_in]
        chosen[variant_id] = candidates[0]
        for wh in candidates:
            held = existing[(variant_id, wh)].quantity if wh in held_in else 0
            if stock_levels([variant_id], warehouse_id=wh)[variant_id] + held >= n:
                chosen[variant_id] = wh
                break
    return chosen


def reserve_stock(cart_id: str, items: list[dict], minutes: int = DEFAULT_RESERVATION_MINUTES,
                  warehouse_id: str | None = None) -> list[StockReservation]:
    """Hold `items` (`[{"product_id", "variant_id", "quantity", "weight"?}]`: units, or for a variant
    sold by weight grams, or pieces of `weight` grams: `_wanted`) for the cart for `minutes`
    (1..MAX_RESERVATION_MINUTES); see the module docstring. Each variant is held in one
    warehouse: `warehouse_id`, else as `_choose_warehouses` picks; a hold moving to another
    warehouse is released where it was. The caller checks the cart is the caller's. Returns
    the cart's reservations of these variants, variant-id order.

    Raises ValidationFailed (422: bad minutes or quantity, `invalid_variant`), NotFound
    (`cart_not_found`, `warehouse_not_found`), Conflict (409 `cart_not_active`),
    InsufficientStock (409 `out_of_stock`).
    """
    if not 1 <= minutes <= MAX_RESERVATION_MINUTES:
        raise ValidationFailed("reservationMinutes must be 1..1440", reason="invalid_reservation_minutes",
                               details=[{"field": "reservationMinutes", "message": "1..1440"}])
    if not items:
        raise ValidationFailed("Nothing to reserve", reason="invalid_quantity",
                               details=[{"field": "items", "message": "At least one item"}])
    if warehouse_id and not Warehouse.select().where(Warehouse.id == warehouse_id, Warehouse.active == True).exists():  # noqa: E712
        raise NotFound("Warehouse not found", reason="warehouse_not_found")
    now = utcnow()
    expires = now + dt.timedelta(minutes=minutes)
    with atomic():
        _lock_active_cart(cart_id, now)
        wanted = _wanted(items)
        query = StockReservation.select().where(StockReservation.cart == cart_id,
                                                StockReservation.variant.in_(list(wanted)))
        # Reservation rows before levels, as checkout and the expiry task lock them: no deadlock.
        existing = {(r.variant_id, r.warehouse_id): r for r in (query.for_update() if is_postgres() else query)}
        chosen = _choose_warehouses(wanted, existing, warehouse_id)
        deltas: dict[tuple[str, str], int] = {}
        for (variant_id, wh), row in existing.items():
            if row.status == "active" and chosen[variant_id] != wh:
                deltas[(variant_id, wh)] = -row.quantity  # moved elsewhere: released here
        for variant_id, wh in chosen.items():
            row = existing.get((variant_id, wh))
            held = row.quantity if row is not None and row.status == "active" else 0
            deltas[(variant_id, wh)] = wanted[variant_id] - held
        before = stock_alerts.snapshot_pairs(deltas)
        for variant_id, wh in sorted(deltas):  # (variant, warehouse) order, like checkout
            _change_reserved(variant_id, wh, deltas[(variant_id, wh)], reference=cart_id)
        saved = []
        for (variant_id, wh), row in sorted(existing.items()):
            if row.status == "active" and chosen[variant_id] != wh:
                row.status, row.updated_at = "released", now
                row.save()
        for variant_id in sorted(wanted):
            wh = chosen[variant_id]
            row = existing.get((variant_id, wh))
            is_new = row is None
            if is_new:
                row = StockReservation(cart=cart_id, variant=variant_id, warehouse=wh, created_at=now)
            row.quantity, row.status, row.expires_at, row.updated_at = wanted[variant_id], "active", expires, now
            row.save(force_insert=is_new)
            saved.append(row)
        stock_alerts.announce(before)
    return saved


def _end(rows: list[StockReservation], status: str, now: dt.datetime) -> int:
    """End active `rows` with `status`, in (variant, warehouse) order, giving their units back to
    available. Each ends only if still active (a concurrent end wins once). Returns the units released."""
    rows = sorted(rows, key=lambda r: (r.variant_id, r.warehouse_id, r.id))
    before = stock_alerts.snapshot_pairs([(r.variant_id, r.warehouse_id) for r in rows])
    units = 0
    for row in rows:
        ended = StockReservation.update(status=status, updated_at=now).where(
            StockReservation.id == row.id, StockReservation.status == "active").execute()
        if ended:
            _change_reserved(row.variant_id, row.warehouse_id, -row.quantity, reference=row.id)
            units += row.quantity
    stock_alerts.announce(before)
    return units


def release_reservations(cart_id: str, warehouse_id: str | None = None) -> int:
    """End the cart's active reservations (`released`; only those in `warehouse_id` when given);
    returns the units given back (0: none). The caller checks the cart is the caller's."""
    with atomic():
        query = StockReservation.select().where(StockReservation.cart == cart_id, StockReservation.status == "active")
        if warehouse_id:
            query = query.where(StockReservation.warehouse == warehouse_id)
        return release_rows(list(query.for_update() if is_postgres() else query))


def release_rows(rows: list[StockReservation]) -> int:
    """End these active reservations (`released`), rows the caller read and locked in its
    transaction (e.g. the holds services.catalog.take_allocated left); returns the units given
    back. Each ends only if still active."""
    return _end(rows, "released", utcnow()) if rows else 0


def active_reservations(cart_id: str) -> list[StockReservation]:
    """The cart's active reservations (expired ones not yet ended included), variant-id order."""
    return list(StockReservation.select().where(StockReservation.cart == cart_id, StockReservation.status == "active")
                .order_by(StockReservation.variant, StockReservation.warehouse))


def expire_reservations(job: Job, ctx, now: dt.datetime) -> dict:
    """Maintenance task: active reservations past `expires_at` -> `expired`, their units available
    again and announced (stock streams, back in stock), in batches of EXPIRY_BATCH (one
    transaction each). Result: `{"expired": n, "units": n}`."""
    expired = units = 0
    while True:
        with atomic():
            query = (StockReservation.select().where(StockReservation.status == "active",
                                                     StockReservation.expires_at <= now)
                     .order_by(StockReservation.variant, StockReservation.id).limit(EXPIRY_BATCH))
            rows = list(query.for_update("FOR UPDATE SKIP LOCKED") if is_postgres() else query)
            if rows:
                units += _end(rows, "expired", now)
        expired += len(rows)
        ctx.progress(expired, expired, f"{expired} reservation(s) expired")
        if len(rows) < EXPIRY_BATCH:
            break
    return {"expired": expired, "units": units}


def reservation_view(row: StockReservation) -> dict:
    """`{"id", "cartId", "productId", "variantId", "warehouseId", "quantity", "status", "expiresAt",
    "createdAt"}` (quantity in units, times ISO 8601 UTC)."""
    product_id = Variant.select(Variant.product).where(Variant.id == row.variant_id).scalar()
    return {"id": row.id, "cartId": row.cart_id, "productId": product_id, "variantId": row.variant_id,
            "warehouseId": row.warehouse_id, "quantity": row.quantity, "status": row.status,
            "expiresAt": isoformat(row.expires_at), "createdAt": isoformat(row.created_at)}
