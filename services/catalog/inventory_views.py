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
from services.catalog.warehouses import default_warehouse_id
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
    """One variant's stock. Everyone: `{"productId", "variantId", "sku", "available" (units),
    "inStock", "lowStock"}`; staff also `"onHand", "reserved", "threshold"` (units, default
    warehouse) and `"warehouses": [{"warehouseId", "code", "onHand", "reserved", "available"}]`.
    Raises NotFound (`variant_not_found`: no such live variant of this product; for shoppers
    the product must be active)."""
    variant = _variant(product_id, variant_id, include_inactive=staff)
    levels = list(InventoryLevel.select(InventoryLevel, Warehouse).join(Warehouse)
                  .where(InventoryLevel.variant == variant.id).order_by(Warehouse.code))
    default = next((lv for lv in levels if lv.warehouse_id == default_warehouse_id()), None)
    on_hand, reserved = (default.quantity, default.reserved) if default else (0, 0)
    available = on_hand - reserved
    view = {"productId": variant.product_id, "variantId": variant.id, "sku": variant.sku, "available": available,
            "inStock": available > 0, "lowStock": available <= variant.low_stock_threshold}
    if staff:
        view.update(onHand=on_hand, reserved=reserved, threshold=variant.low_stock_threshold,
                    warehouses=[{"warehouseId": lv.warehouse_id, "code": lv.warehouse.code, "onHand": lv.quantity,
                                 "reserved": lv.reserved, "available": lv.quantity - lv.reserved} for lv in levels])
    return view


def low_stock(page: int = 1, limit: int = 20, warehouse_id: str | None = None) -> tuple[list[dict], int]:
    """Live variants of non-archived products whose available units are at or below their
    threshold in the warehouse (default: the default warehouse; a variant without a stock row
    there has 0 units), fewest available first.
    Returns `(rows, total)`; rows `{"productId", "productName", "variantId", "variantName", "sku",
    "onHand", "reserved", "available", "threshold", "warehouseId"}` (units)."""
    wh = warehouse_id or default_warehouse_id()
    on_hand, reserved = fn.COALESCE(InventoryLevel.quantity, 0), fn.COALESCE(InventoryLevel.reserved, 0)
    available = on_hand - reserved
    query = (Variant.select(Variant.id, Variant.name, Variant.sku, Variant.low_stock_threshold, Product.id,
                            Product.name, on_hand, reserved)
             .join(Product).switch(Variant)
             .join(InventoryLevel, JOIN.LEFT_OUTER,
                   on=((InventoryLevel.variant == Variant.id) & (InventoryLevel.warehouse == wh)))
             .where(Variant.archived_at.is_null(), Product.status != "archived",
                    available <= Variant.low_stock_threshold))
    total = query.count()
    rows = query.order_by(available, Variant.id).paginate(page, limit).tuples()
    return [{"productId": pid, "productName": pname, "variantId": vid, "variantName": vname, "sku": sku,
             "onHand": q, "reserved": r, "available": q - r, "threshold": threshold, "warehouseId": wh}
            for vid, vname, sku, threshold, pid, pname, q, r in rows], total
