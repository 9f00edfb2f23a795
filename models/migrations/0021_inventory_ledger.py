"""Stock reservations and the stock movements ledger (issue 9).

Adds `inventory_level.reserved` (units held by cart reservations, default 0, CHECK 0 <= reserved
<= quantity) when missing (a database created from the current model classes by 0001 already has
it), creates `stock_reservation`, `stock_movement` and `back_in_stock_request`, and writes an opening
`adjustment` movement (note `opening balance`) for every level that has no movement yet, so that
on hand == SUM(movement quantity) and reserved == SUM(reserved change) hold from the start.
Running it again writes nothing more.
"""

from models.inventory import BackInStockRequest, StockMovement, StockReservation
from models.db import new_id, utcnow


def migrate(database, migrator):
    if "reserved" not in {c.name for c in database.get_columns("inventory_level")}:
        database.execute_sql("ALTER TABLE inventory_level ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0 "
                             "CHECK (reserved >= 0 AND reserved <= quantity)")
    database.create_tables([StockReservation, StockMovement, BackInStockRequest], safe=True)
    rows = database.execute_sql(
        "SELECT l.variant_id, l.warehouse_id, l.quantity, l.reserved FROM inventory_level l WHERE NOT EXISTS "
        "(SELECT 1 FROM stock_movement m WHERE m.variant_id = l.variant_id AND m.warehouse_id = l.warehouse_id)"
    ).fetchall()
    now = utcnow()
    opening = [{"id": new_id("mov"), "variant": variant, "warehouse": warehouse, "kind": "adjustment",
                "quantity": quantity, "reserved_change": reserved, "quantity_after": quantity,
                "reserved_after": reserved, "reference": "", "note": "opening balance", "created_at": now}
               for variant, warehouse, quantity, reserved in rows]
    for start in range(0, len(opening), 500):
        StockMovement.insert_many(opening[start:start + 500]).execute()
