"""Reading inventory (seed 004 `GET /inventory/{productId}/variants/{variantId}`, seed 001
`GET /inventory/low-stock`).

`variant_inventory` answers shoppers with what they need to decide (available units, low
stock) and staff also with the business numbers (on hand, reserved, threshold, per warehouse):
units on hand and reserved are the shop's own data, not the public's.
Low stock is judged on available units (on hand minus reserved), the same number the product
JSON's `inventoryCount` shows: a variant is low when available <= its `low_stock_threshold`.
"""

from __future__ import annotations

from peewee import JOIN, fn

from models.catalog import InventoryLevel, Product, Variant, Warehouse
from services.catalog.warehouses import active_warehouse_ids
from services.errors import NotFound


def _variant(product_id: str, variant_id: str, include_inactive: bool) -> Variant:
    query = (Variant.select(Variant, Product).join(Product)
             .where(Variant.id == variant_id, Variant.product == product_id, Variant.archived_at.is_null()))
    if not include_inactive:
        query = query.where(Product.status == "active")
    variant = query.first()
    if variant is None:
        raise NotFound("Variant not found", reason="variant_not_found")
    return variant


def variant_inventory(product_id: str, variant_id: str, staff: bool = False) -> dict:
    """One variant's stock over the active warehouses. Everyone: `{"productId", "variantId", "sku",
    "available" (units), "inStock", "lowStock"}`; staff also `"onHand", "reserved", "threshold"`
    (units, active warehouses summed) and `"warehouses": [{"warehouseId", "code", "active",
    "onHand", "reserved", "available"}]` (every warehouse with a row).
    Raises NotFound (`variant_not_found`: no such live variant of this product; for shoppers
    the product must be active)."""
    variant = _variant(product_id, variant_id, include_inactive=staff)
    levels = list(InventoryLevel.select(InventoryLevel, Warehouse).join(Warehouse)
                  .where(InventoryLevel.variant == variant.id).order_by(Warehouse.priority, Warehouse.code))
    selling = [lv for lv in levels if lv.warehouse.active]
    on_hand, reserved = sum(lv.quantity for lv in selling), sum(lv.reserved for lv in selling)
    available = on_hand - reserved
    view = {"productId": variant.product_id, "variantId": variant.id, "sku": variant.sku, "available": available,
            "inStock": available > 0, "lowStock": available <= variant.low_stock_threshold}
    if staff:
        view.update(onHand=on_hand, reserved=reserved, threshold=variant.low_stock_threshold,
                    warehouses=[{"warehouseId": lv.warehouse_id, "code": lv.warehouse.code,
                                 "active": bool(lv.warehouse.active), "onHand": lv.quantity,
                                 "reserved": lv.reserved, "available": lv.quantity - lv.reserved} for lv in levels])
    return view


def low_stock(page: int = 1, limit: int = 20, warehouse_id: str | None = None) -> tuple[list[dict], int]:
    """Live variants of non-archived products whose available units are at or below their
    threshold: in `warehouse_id`, or without it summed over the active warehouses (a variant
    without stock rows has 0 units), fewest available first.
    Returns `(rows, total)`; rows `{"productId", "productName", "variantId", "variantName", "sku",
    "onHand", "reserved", "available", "threshold", "warehouseId"}` (units; `warehouseId` null
    for the totals)."""
    scope = ((InventoryLevel.warehouse == warehouse_id) if warehouse_id
             else InventoryLevel.warehouse.in_(active_warehouse_ids()))
    levels = (InventoryLevel.select(InventoryLevel.variant, fn.SUM(InventoryLevel.quantity).alias("on_hand"),
                                    fn.SUM(InventoryLevel.reserved).alias("held"))
              .where(scope).group_by(InventoryLevel.variant).alias("lv"))
    on_hand, reserved = fn.COALESCE(levels.c.on_hand, 0), fn.COALESCE(levels.c.held, 0)
    available = on_hand - reserved
    query = (Variant.select(Variant.id, Variant.name, Variant.sku, Variant.low_stock_threshold, Product.id,
                            Product.name, on_hand, reserved)
             .join(Product).switch(Variant)
             .join(levels, JOIN.LEFT_OUTER, on=(levels.c.variant_id == Variant.id))
             .where(Variant.archived_at.is_null(), Product.status != "archived",
                    available <= Variant.low_stock_threshold))
    total = query.count()
    rows = query.order_by(available, Variant.id).paginate(page, limit).tuples()
    return [{"productId": pid, "productName": pname, "variantId": vid, "variantName": vname, "sku": sku,
             "onHand": int(q), "reserved": int(r), "available": int(q) - int(r), "threshold": threshold,
             "warehouseId": warehouse_id}
            for vid, vname, sku, threshold, pid, pname, q, r in rows], total
