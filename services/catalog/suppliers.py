"""Suppliers (issue 9, seed 000's automated reordering): who the shop buys stock from.

Writes take a snake_case dict `{"name", "email", "phone", "lead_time_days", "is_active"}`;
a supplier with purchase orders cannot be deleted, only deactivated (`is_active: false`),
so the orders keep naming it. An inactive supplier is skipped by auto-reorder.
"""

from __future__ import annotations

from models.db import atomic, utcnow
from models.purchasing import PurchaseOrder, Supplier
from services.errors import Conflict, NotFound

FIELDS = ("name", "email", "phone", "lead_time_days", "is_active")


def get_supplier(supplier_id: str) -> Supplier:
    """The supplier `sup_...`. Raises NotFound (`supplier_not_found`)."""
    supplier = Supplier.get_or_none(Supplier.id == supplier_id)
    if supplier is None:
        raise NotFound("Supplier not found", reason="supplier_not_found")
    return supplier


def list_suppliers(include_inactive: bool = True) -> list[Supplier]:
    """Every supplier by name (active ones only unless `include_inactive`)."""
    query = Supplier.select().order_by(Supplier.name, Supplier.id)
    if not include_inactive:
        query = query.where(Supplier.is_active == True)  # noqa: E712
    return list(query)


def create_supplier(data: dict) -> Supplier:
    """A new supplier from `data` (module docstring; `name` required)."""
    return Supplier.create(**{k: data[k] for k in FIELDS if k in data})


def update_supplier(supplier_id: str, data: dict) -> Supplier:
    """Change the fields present in `data`. Raises NotFound (`supplier_not_found`)."""
    with atomic():
        supplier = get_supplier(supplier_id)
        for name in FIELDS:
            if name in data:
                setattr(supplier, name, data[name])
        supplier.updated_at = utcnow()
        supplier.save()
    return supplier


def delete_supplier(supplier_id: str) -> None:
    """Delete a supplier that has no purchase orders. Raises NotFound (`supplier_not_found`),
    Conflict (409, `supplier_in_use`: deactivate it instead)."""
    with atomic():
        supplier = get_supplier(supplier_id)
        if PurchaseOrder.select().where(PurchaseOrder.supplier == supplier.id).exists():
            raise Conflict("The supplier has purchase orders: deactivate it instead", reason="supplier_in_use")
        supplier.delete_instance()
