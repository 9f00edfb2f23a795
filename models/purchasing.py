"""Purchasing: suppliers, the reorder rules per variant and warehouse, and purchase orders
(migration 0023). Costs are integer minor units of the shop currency."""

import peewee

from models.catalog import Variant, Warehouse
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

PURCHASE_ORDER_STATUSES = ("draft", "sent", "received", "cancelled")


class Supplier(BaseModel):
    """A supplier the shop buys stock from; `lead_time_days` is how long an order takes to arrive."""

    id = PrefixedIdField("sup")
    name = peewee.CharField(max_length=200)
    email = peewee.CharField(max_length=254, null=True)
    phone = peewee.CharField(max_length=40, null=True)
    lead_time_days = peewee.IntegerField(default=7)
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class ReorderRule(BaseModel):
    """Auto-reorder of one variant in one warehouse: when its available units fall to
    `reorder_point` or below, a draft purchase order for `reorder_quantity` units goes to the
    first active supplier of `supplier_ids` (the preferred ones, in order)."""

    id = PrefixedIdField("rr")
    variant = peewee.ForeignKeyField(Variant, backref="reorder_rules", on_delete="CASCADE")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="reorder_rules", on_delete="CASCADE")
    reorder_point = peewee.IntegerField()
    reorder_quantity = peewee.IntegerField()
    supplier_ids = JSONField(default=list)  # `sup_...` ids, preferred first
    unit_cost = peewee.IntegerField(null=True)  # minor units; None: unknown
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("variant", "warehouse"), True),)


class PurchaseOrder(BaseModel):
    """An order to a supplier for stock delivered to one warehouse: `draft` -> `sent` ->
    `received` (receiving restocks the warehouse), or `cancelled` before it is received.
    `auto` marks one created by a reorder rule; `number` is `PO-{year}-{n:06d}`."""

    id = PrefixedIdField("po")
    number = peewee.CharField(max_length=40, unique=True)
    supplier = peewee.ForeignKeyField(Supplier, backref="purchase_orders", on_delete="RESTRICT")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="purchase_orders", on_delete="RESTRICT")
    status = peewee.CharField(max_length=16, default="draft", index=True)
    auto = peewee.BooleanField(default=False)
    notes = peewee.TextField(default="")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    expected_at = peewee.DateField(null=True)
    sent_at = peewee.DateTimeField(null=True)
    received_at = peewee.DateTimeField(null=True)
    cancelled_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class PurchaseOrderLine(BaseModel):
    """`quantity` units of a variant at `unit_cost` (minor units, None when unknown)."""

    id = PrefixedIdField("pol")
    purchase_order = peewee.ForeignKeyField(PurchaseOrder, backref="lines", on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, on_delete="RESTRICT")
    quantity = peewee.IntegerField()
    unit_cost = peewee.IntegerField(null=True)

    class Meta:
        indexes = ((("purchase_order", "variant"), True),)
