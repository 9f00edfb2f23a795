"""Purchase orders (issue 9): stock ordered from a supplier for one warehouse.

Life cycle: `draft` (lines and notes may change) -> `sent` (to the supplier) -> `received`
(every line's units are restocked into the warehouse: `restock` movements referencing the
order, in the transaction that marks it received) or `cancelled` (from draft or sent). Each
step is a conditional UPDATE on the status, so two staff receiving the same order at once
restock it once: the second gets 409 `purchase_order_status`.

Writes take snake_case dicts: `{"supplier_id", "warehouse_id" (default: the default
warehouse), "lines": [{"variant_id", "quantity" (> 0 units), "unit_cost" (minor units or
None)}], "notes", "expected_at" (a date; default today + the supplier's lead time)}`.
Numbers are `PO-{year}-{n:06d}` (services.platform.counters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.catalog import Product, Variant, Warehouse
from models.db import atomic, utcnow
from models.purchasing import PurchaseOrder, PurchaseOrderLine, Supplier
from services.catalog import inventory
from services.catalog.warehouses import default_warehouse
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import catalog_ttl, counters

NUMBER_PREFIX = "PO"
MAX_LINES = 200
TRANSITIONS = {"sent": ("draft",), "received": ("sent",), "cancelled": ("draft", "sent")}


@dataclass
class PurchaseOrderView:
    """A purchase order with its supplier, warehouse and lines (PurchaseOrderLine rows, their
    `variant` and its `product` loaded);
    `total_cost` sums `quantity * unit_cost` of lines with a known cost (minor units)."""

    order: PurchaseOrder
    supplier: Supplier
    warehouse: Warehouse
    lines: list
    total_cost: int


def _supplier(supplier_id: str) -> Supplier:
    supplier = Supplier.get_or_none(Supplier.id == supplier_id)
    if supplier is None or not supplier.is_active:
        raise ValidationFailed.for_field("supplierId", "No active supplier with this id", reason="unknown_supplier")
    return supplier


def _warehouse(warehouse_id: str | None) -> Warehouse:
    if warehouse_id is None:
        return default_warehouse()
    warehouse = Warehouse.get_or_none(Warehouse.id == warehouse_id)
    if warehouse is None:
        raise ValidationFailed.for_field("warehouseId", "No warehouse with this id", reason="unknown_warehouse")
    return warehouse


def _lines(lines: list[dict]) -> list[dict]:
    if not lines:
        raise ValidationFailed.for_field("lines", "A purchase order needs at least one line",
                                         reason="invalid_purchase_order")
    if len(lines) > MAX_LINES:
        raise ValidationFailed.for_field("lines", f"At most {MAX_LINES} lines", reason="invalid_purchase_order")
    ids = [line["variant_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed.for_field("lines", "A variant is listed twice", reason="invalid_purchase_order")
    live = {vid for (vid,) in Variant.select(Variant.id).where(Variant.id.in_(ids),
                                                               Variant.archived_at.is_null()).tuples()}
    for n, line in enumerate(lines):
        if line["variant_id"] not in live:
            raise ValidationFailed.for_field(f"lines.{n}.variantId", "No (live) variant with this id",
                                             reason="unknown_variant")
        if line["quantity"] <= 0:
            raise ValidationFailed.for_field(f"lines.{n}.quantity", "Order at least one unit",
                                             reason="invalid_purchase_order")
    return lines


def _write_lines(order: PurchaseOrder, lines: list[dict]) -> None:
    PurchaseOrderLine.delete().where(PurchaseOrderLine.purchase_order == order.id).execute()
    PurchaseOrderLine.insert_many([{"purchase_order": order.id, "variant": line["variant_id"],
                                    "quantity": line["quantity"], "unit_cost": line.get("unit_cost")}
                                   for line in lines]).execute()


def create_purchase_order(data: dict, actor_id: str | None = None, auto: bool = False) -> PurchaseOrder:
    """A new `draft` purchase order (module docstring). Raises ValidationFailed (422:
    `unknown_supplier` (or inactive), `unknown_warehouse`, `unknown_variant`,
    `invalid_purchase_order`)."""
    with atomic():
        supplier = _supplier(data["supplier_id"])
        warehouse = _warehouse(data.get("warehouse_id"))
        lines = _lines(data.get("lines") or [])
        now = utcnow()
        expected = data.get("expected_at") or (now.date() + dt.timedelta(days=supplier.lead_time_days))
        order = PurchaseOrder.create(number=counters.yearly_number(NUMBER_PREFIX, now.year), supplier=supplier.id,
                                     warehouse=warehouse.id, auto=auto, notes=data.get("notes") or "",
                                     created_by=actor_id, expected_at=expected)
        _write_lines(order, lines)
    return order


def get_purchase_order(order_id: str) -> PurchaseOrder:
    """The purchase order `po_...`. Raises NotFound (`purchase_order_not_found`)."""
    order = PurchaseOrder.get_or_none(PurchaseOrder.id == order_id)
    if order is None:
        raise NotFound("Purchase order not found", reason="purchase_order_not_found")
    return order


def update_purchase_order(order_id: str, data: dict) -> PurchaseOrder:
    """Change a draft's `lines` (the complete new list), `notes`, `expected_at` or `supplier_id`.
    Raises NotFound, Conflict (409 `purchase_order_status`: no longer a draft), ValidationFailed."""
    with atomic():
        order = get_purchase_order(order_id)
        if order.status != "draft":
            raise Conflict(f"Only a draft can change; this one is {order.status}", reason="purchase_order_status")
        if "supplier_id" in data:
            order.supplier = _supplier(data["supplier_id"]).id
        if "lines" in data:
            _write_lines(order, _lines(data["lines"]))
        for name in ("notes", "expected_at"):
            if name in data:
                setattr(order, name, data[name] or ("" if name == "notes" else None))
        order.updated_at = utcnow()
        order.save()
    return order


def _move(order_id: str, status: str, stamp: str) -> PurchaseOrder:
    """Move to `status` from one of `TRANSITIONS[status]` with one conditional UPDATE."""
    now = utcnow()
    changed = (PurchaseOrder.update(status=status, updated_at=now, **{stamp: now})
               .where(PurchaseOrder.id == order_id, PurchaseOrder.status.in_(TRANSITIONS[status])).execute())
    order = get_purchase_order(order_id)
    if not changed:
        raise Conflict(f"A {order.status} purchase order cannot become {status}", reason="purchase_order_status",
                       details=[{"field": "status", "message": f"From {' or '.join(TRANSITIONS[status])} only"}])
    return order


def send_purchase_order(order_id: str) -> PurchaseOrder:
    """draft -> sent. Raises NotFound, Conflict (`purchase_order_status`)."""
    with atomic():
        return _move(order_id, "sent", "sent_at")


def cancel_purchase_order(order_id: str) -> PurchaseOrder:
    """draft | sent -> cancelled. Raises NotFound, Conflict (`purchase_order_status`)."""
    with atomic():
        return _move(order_id, "cancelled", "cancelled_at")


def receive_purchase_order(order_id: str, actor_id: str | None = None) -> PurchaseOrder:
    """sent -> received, restocking every line into the order's warehouse in the same
    transaction (`restock` movements referencing the order; back-in-stock requests notified).
    Raises NotFound, Conflict (`purchase_order_status`: not sent, or received already)."""
    with atomic():
        order = _move(order_id, "received", "received_at")
        lines = PurchaseOrderLine.select().where(PurchaseOrderLine.purchase_order == order.id).order_by(
            PurchaseOrderLine.variant)
        for line in lines:
            inventory.restock(line.variant_id, line.quantity, warehouse_id=order.warehouse_id, actor_id=actor_id,
                              reference=order.id, note=f"Purchase order {order.number}")
        catalog_ttl.invalidate_after_commit()
    return order


def list_purchase_orders(status: str | None = None, supplier_id: str | None = None, page: int = 1,
                         limit: int = 20) -> tuple[list[PurchaseOrderView], int]:
    """Purchase orders, newest first, optionally of one `status` (PURCHASE_ORDER_STATUSES) or
    supplier. Returns `(views, total)`."""
    query = PurchaseOrder.select()
    if status:
        query = query.where(PurchaseOrder.status == status)
    if supplier_id:
        query = query.where(PurchaseOrder.supplier == supplier_id)
    rows = list(query.order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc()).paginate(page, limit))
    return load_views(rows), query.count()


def purchase_order_view(order_id: str) -> PurchaseOrderView:
    """One purchase order's view. Raises NotFound (`purchase_order_not_found`)."""
    return load_views([get_purchase_order(order_id)])[0]


def load_views(orders: list[PurchaseOrder]) -> list[PurchaseOrderView]:
    """Views of `orders` with their suppliers, warehouses and lines (four queries)."""
    if not orders:
        return []
    suppliers = {s.id: s for s in Supplier.select().where(Supplier.id.in_({o.supplier_id for o in orders}))}
    warehouses = {w.id: w for w in Warehouse.select().where(Warehouse.id.in_({o.warehouse_id for o in orders}))}
    lines: dict[str, list] = {o.id: [] for o in orders}
    rows = (PurchaseOrderLine.select(PurchaseOrderLine, Variant, Product)
            .join(Variant).join(Product)
            .where(PurchaseOrderLine.purchase_order.in_(list(lines)))
            .order_by(PurchaseOrderLine.id))
    for row in rows:
        lines[row.purchase_order_id].append(row)
    return [PurchaseOrderView(o, suppliers[o.supplier_id], warehouses[o.warehouse_id], lines[o.id],
                              sum(line.quantity * line.unit_cost for line in lines[o.id] if line.unit_cost is not None))
            for o in orders]



def purchase_order_summary(order_id: str) -> dict | None:
    """What a staff notification shows of purchase order `order_id`, or None when it is gone:
    `{"id", "number", "status", "auto", "supplier", "warehouse", "expectedAt" (ISO date or None),
    "totalCost" (minor units), "lines": [{"sku", "product", "variant", "quantity"}]}`."""
    order = PurchaseOrder.get_or_none(PurchaseOrder.id == order_id)
    if order is None:
        return None
    view = load_views([order])[0]
    return {"id": order.id, "number": order.number, "status": order.status, "auto": order.auto,
            "supplier": view.supplier.name, "warehouse": view.warehouse.name,
            "expectedAt": order.expected_at.isoformat() if order.expected_at else None,
            "totalCost": view.total_cost,
            "lines": [{"sku": line.variant.sku, "product": line.variant.product.name, "variant": line.variant.name,
                       "quantity": line.quantity} for line in view.lines]}
