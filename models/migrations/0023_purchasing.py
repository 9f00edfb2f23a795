"""Purchasing (issue 9): suppliers, reorder rules and purchase orders with their lines."""

from models.purchasing import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier


def migrate(database, migrator):
    database.create_tables([Supplier, ReorderRule, PurchaseOrder, PurchaseOrderLine], safe=True)
