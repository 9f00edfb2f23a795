"""Stock reservations, the stock movements ledger and back-in-stock requests (issue 9).

- `StockReservation`: units of one variant in one warehouse held for one cart until
  `expires_at` (status active | consumed | released | expired). One row per (cart, variant,
  warehouse): reserving again for the same cart reuses (replaces) it. The held units are
  counted in `InventoryLevel.reserved`.
- `StockMovement`: one row per change of an `InventoryLevel`, written in the same transaction:
  `quantity` is the signed change of units on hand, `reserved_change` the signed change of
  units reserved, `quantity_after` / `reserved_after` the level right after it. So for every
  level `quantity == SUM(quantity)` and `reserved == SUM(reserved_change)` (migration 0021
  writes an opening `adjustment` for levels that existed before the ledger).
- `BackInStockRequest`: a signed-in customer asked to be told when a variant is available
  again; `notified_at` is set when the notification was emitted (each request once).
"""

import peewee

from models.carts import Cart
from models.catalog import Variant, Warehouse
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User

RESERVATION_STATUSES = ("active", "consumed", "released", "expired")
MOVEMENT_KINDS = ("sale", "release", "restock", "adjustment", "transfer", "reservation", "reservation_release")
"""sale: checkout took units; release: a cancelled order gave them back; restock: units received;
adjustment: a staff set/adjust, a product write, an import, the opening balance; transfer: between
warehouses (reserved for allocation); reservation: a cart's hold placed or grown; reservation_release:
a hold shrunk, released, expired, or consumed by checkout (a sale then records the units sold)."""


class StockReservation(BaseModel):
    """Units held for a cart (see the module docstring); `quantity` > 0 units."""

    id = PrefixedIdField("rsv")
    cart = peewee.ForeignKeyField(Cart, backref="stock_reservations", on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, backref="stock_reservations", on_delete="CASCADE")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="stock_reservations", on_delete="CASCADE")
    quantity = peewee.IntegerField()
    status = peewee.CharField(max_length=16, default="active")
    expires_at = peewee.DateTimeField()
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cart", "variant", "warehouse"), True), (("status", "expires_at"), False))


class StockMovement(BaseModel):
    """One change of one variant's stock in one warehouse (see the module docstring).

    `kind` is one of MOVEMENT_KINDS; `reference` names what caused it (an order, cart or
    reservation id, a job id, `import`...; empty when nothing); `actor` the staff member for
    manual changes (None for checkouts and jobs)."""

    id = PrefixedIdField("mov")
    variant = peewee.ForeignKeyField(Variant, backref="stock_movements", on_delete="CASCADE")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="stock_movements", on_delete="CASCADE")
    kind = peewee.CharField(max_length=24)
    quantity = peewee.IntegerField(default=0)
    reserved_change = peewee.IntegerField(default=0)
    quantity_after = peewee.IntegerField()
    reserved_after = peewee.IntegerField(default=0)
    reference = peewee.CharField(max_length=64, default="")
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    note = peewee.CharField(max_length=500, default="")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("variant", "warehouse", "created_at"), False), (("created_at", "kind"), False))


class BackInStockRequest(BaseModel):
    """A customer's "tell me when it is back" for a variant; pending while `notified_at` is None."""

    id = PrefixedIdField("bis")
    user = peewee.ForeignKeyField(User, backref="back_in_stock_requests", on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, backref="back_in_stock_requests", on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=utcnow)
    notified_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "variant"), True), (("variant", "notified_at"), False))
