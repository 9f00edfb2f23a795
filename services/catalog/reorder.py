"""Auto-reorder (issue 9, seed 000's "automated reordering for multiple suppliers").

A `ReorderRule` per variant and warehouse gives a reorder point (units available), a reorder
quantity and the preferred suppliers in order. Every stock change reports its variants'
available units before and after (`queue_reorders`, called by services.catalog.stock_alerts
in the change's transaction; services.catalog.reorder_points); a change that takes a variant from
above its rule's point to at or below it writes a `purchase_reorder` job. The job (`run_reorder_job`) creates a draft
purchase order (`auto`) for the reorder quantity with the first active preferred supplier,
and emits `purchase_order.created` (staff are notified); it does nothing when an open (draft
or sent) purchase order for that warehouse already holds the variant, so a dip, a retry or
two dips before the stock arrives order once.
"""

from __future__ import annotations

from models.catalog import Variant, Warehouse
from models.db import atomic, utcnow
from models.jobs import Job
from models.purchasing import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier
from services.catalog.purchase_orders import create_purchase_order
from services.catalog.warehouses import default_warehouse
from services.errors import NotFound, ValidationFailed
from services.platform import events

OPEN_STATUSES = ("draft", "sent")


def set_rule(data: dict) -> ReorderRule:
    """Create or replace the rule of `data["variant_id"]` in `data["warehouse_id"]` (default the
    default warehouse): `{"reorder_point" (>= 0 units), "reorder_quantity" (> 0 units),
    "supplier_ids" [sup_..., preferred first, at least one], "unit_cost" (minor units or None),
    "is_active"}`. Raises ValidationFailed (422: `unknown_variant`, `unknown_warehouse`,
    `unknown_supplier`, `invalid_reorder_rule`)."""
    if not Variant.select().where(Variant.id == data["variant_id"], Variant.archived_at.is_null()).exists():
        raise ValidationFailed.for_field("variantId", "No (live) variant with this id", reason="unknown_variant")
    warehouse_id = data.get("warehouse_id") or default_warehouse().id
    if not Warehouse.select().where(Warehouse.id == warehouse_id).exists():
        raise ValidationFailed.for_field("warehouseId", "No warehouse with this id", reason="unknown_warehouse")
    suppliers = list(dict.fromkeys(data.get("supplier_ids") or []))
    if not suppliers:
        raise ValidationFailed.for_field("supplierIds", "Name at least one supplier", reason="invalid_reorder_rule")
    known = {sid for (sid,) in Supplier.select(Supplier.id).where(Supplier.id.in_(suppliers)).tuples()}
    missing = [sid for sid in suppliers if sid not in known]
    if missing:
        raise ValidationFailed.for_field("supplierIds", f"Unknown supplier {missing[0]}", reason="unknown_supplier")
    fields = {"reorder_point": data["reorder_point"], "reorder_quantity": data["reorder_quantity"],
              "supplier_ids": suppliers, "unit_cost": data.get("unit_cost"),
              "is_active": data.get("is_active", True), "updated_at": utcnow()}
    with atomic():
        rule = ReorderRule.get_or_none(ReorderRule.variant == data["variant_id"], ReorderRule.warehouse == warehouse_id)
        if rule is None:
            return ReorderRule.create(variant=data["variant_id"], warehouse=warehouse_id, **fields)
        ReorderRule.update(**fields).where(ReorderRule.id == rule.id).execute()
    return ReorderRule.get_by_id(rule.id)


def list_rules(variant_id: str | None = None) -> list[ReorderRule]:
    """Every reorder rule (of one variant when given), by variant then warehouse."""
    query = ReorderRule.select().order_by(ReorderRule.variant, ReorderRule.warehouse)
    if variant_id:
        query = query.where(ReorderRule.variant == variant_id)
    return list(query)


def delete_rule(rule_id: str) -> None:
    """Delete reorder rule `rr_...`. Raises NotFound (`reorder_rule_not_found`)."""
    if not ReorderRule.delete().where(ReorderRule.id == rule_id).execute():
        raise NotFound("Reorder rule not found", reason="reorder_rule_not_found")


def _open_order_holds(variant_id: str, warehouse_id: str) -> str | None:
    return (PurchaseOrder.select(PurchaseOrder.id).join(PurchaseOrderLine)
            .where(PurchaseOrder.warehouse == warehouse_id, PurchaseOrder.status.in_(OPEN_STATUSES),
                   PurchaseOrderLine.variant == variant_id).scalar())


def run_reorder_job(job: Job, ctx) -> dict:
    """`purchase_reorder` job handler (module docstring). Returns `{"purchaseOrderId", "number"}`
    for a new order, or `{"skipped": reason}`: `rule_gone` (deleted or deactivated),
    `open_purchase_order` (with its id), `no_active_supplier`."""
    payload = job.payload or {}
    with atomic():
        rule = ReorderRule.get_or_none(ReorderRule.id == payload.get("ruleId"))
        if rule is None or not rule.is_active:
            return {"skipped": "rule_gone"}
        existing = _open_order_holds(rule.variant_id, rule.warehouse_id)
        if existing:
            return {"skipped": "open_purchase_order", "purchaseOrderId": existing}
        active = {s.id for s in Supplier.select(Supplier.id).where(Supplier.id.in_(rule.supplier_ids or []),
                                                                   Supplier.is_active == True)}  # noqa: E712
        supplier_id = next((sid for sid in rule.supplier_ids or [] if sid in active), None)
        if supplier_id is None:
            return {"skipped": "no_active_supplier"}
        order = create_purchase_order({"supplier_id": supplier_id, "warehouse_id": rule.warehouse_id,
                                       "lines": [{"variant_id": rule.variant_id, "quantity": rule.reorder_quantity,
                                                  "unit_cost": rule.unit_cost}],
                                       "notes": "Created by auto-reorder"}, auto=True)
        events.emit("purchase_order.created", order.id, {"number": order.number, "supplierId": supplier_id,
                                                         "warehouseId": rule.warehouse_id, "auto": True},
                    parent_id=job.id)
    return {"purchaseOrderId": order.id, "number": order.number}
