"""The stock movements ledger (issue 9 "Every stock change is a movement row").

Every change of an `InventoryLevel` writes one `StockMovement` in the same transaction
(`record_movement`, called by services.catalog.inventory and .reservations right after their
UPDATE): `quantity` is the signed change of units on hand, `reserved_change` the signed
change of units reserved, and the row carries the level right after it. Hence, for every
level, on hand == SUM(quantity) and reserved == SUM(reserved_change) (`ledger_totals`; a test
checks it). Kinds: models.inventory.MOVEMENT_KINDS.
"""

from __future__ import annotations

from peewee import fn

from models.catalog import InventoryLevel
from models.inventory import MOVEMENT_KINDS, StockMovement


def record_movement(variant_id: str, warehouse_id: str, kind: str, quantity: int = 0, reserved_change: int = 0,
                    reference: str = "", actor_id: str | None = None, note: str = "",
                    after: tuple[int, int] | None = None) -> StockMovement:
    """Write the movement of a change just applied to the level of (`variant_id`, `warehouse_id`):
    `quantity` / `reserved_change` are signed units; `after` is the level's `(on hand, reserved)`
    right after the change when the caller's UPDATE returned it, else the level is re-read for the
    `*_after` columns. Call inside the change's transaction. Raises ValueError for an unknown `kind`."""
    if kind not in MOVEMENT_KINDS:
        raise ValueError(f"unknown movement kind {kind!r}")
    if after is None:
        level = (InventoryLevel.select(InventoryLevel.quantity, InventoryLevel.reserved)
                 .where(InventoryLevel.variant == variant_id, InventoryLevel.warehouse == warehouse_id).first())
        after = (level.quantity, level.reserved) if level else (0, 0)
    return StockMovement.create(
        variant=variant_id, warehouse=warehouse_id, kind=kind, quantity=quantity, reserved_change=reserved_change,
        quantity_after=after[0], reserved_after=after[1],
        reference=(reference or "")[:64], actor=actor_id, note=(note or "")[:500])


def ledger_totals(variant_id: str, warehouse_id: str) -> tuple[int, int]:
    """`(SUM(quantity), SUM(reserved_change))` of the level's movements: equal to its on hand and
    reserved units when the ledger is complete."""
    row = (StockMovement.select(fn.COALESCE(fn.SUM(StockMovement.quantity), 0),
                                fn.COALESCE(fn.SUM(StockMovement.reserved_change), 0))
           .where(StockMovement.variant == variant_id, StockMovement.warehouse == warehouse_id).tuples().first())
    return int(row[0]), int(row[1])
