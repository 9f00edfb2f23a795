"""Checkout across stores: each store's minimum order, checked on the store's lines of the cart.

A cart may hold products of several stores (and of the shop itself: products without a store).
Checkout calls `check_store_minimums` with the subtotal of each store's lines (the lines' unit
prices times quantities, minor units, before discounts and shipping); a store whose
`minimum_order` is more than its subtotal stops the checkout with 422 `store_minimum_not_met`
naming the store and the shortfall, before anything is written; an inactive store's lines stop it
with 422 `store_inactive`.
"""

from __future__ import annotations

from models.catalog import Store
from services.errors import ValidationFailed


def check_store_minimums(subtotals: dict[str | None, int]) -> None:
    """`subtotals`: store id (None: the shop's own products) -> the store's lines' subtotal in minor
    units. Raises ValidationFailed (422 `store_inactive`; `store_minimum_not_met` with one detail
    per store `{"field": "stores.<id>", "message": ..., "storeId", "minimumOrder", "subtotal",
    "shortfall"}`, amounts in minor units)."""
    ids = sorted(sid for sid in subtotals if sid)
    if not ids:
        return
    stores = list(Store.select(Store.id, Store.name, Store.is_active, Store.minimum_order)
                  .where(Store.id.in_(ids)).order_by(Store.id))
    inactive = [s for s in stores if not s.is_active]
    if inactive:
        raise ValidationFailed("Some items come from a store that no longer sells", reason="store_inactive",
                               details=[{"field": f"stores.{s.id}", "message": f"{s.name} is closed"}
                                        for s in inactive])
    short = [(s, s.minimum_order - subtotals[s.id]) for s in stores if s.minimum_order > subtotals[s.id]]
    if short:
        raise ValidationFailed(
            "The items of some stores add up to less than their minimum order", reason="store_minimum_not_met",
            details=[{"field": f"stores.{s.id}", "storeId": s.id, "minimumOrder": s.minimum_order,
                      "subtotal": subtotals[s.id], "shortfall": shortfall,
                      "message": f"{s.name}: minimum order {s.minimum_order}, add {shortfall} more"}
                     for s, shortfall in short])


def store_subtotals(lines: list[tuple[str | None, int]]) -> dict[str | None, int]:
    """[(store id or None, line total in minor units)] -> store id -> subtotal."""
    totals: dict[str | None, int] = {}
    for store_id, amount in lines:
        totals[store_id] = totals.get(store_id, 0) + amount
    return totals
