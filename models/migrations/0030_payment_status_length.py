"""`order.payment_status` widens to 20 characters for `partially_refunded` (staff refunds, issue 10).
PostgreSQL enforces the length; SQLite does not, so nothing changes there. A separate migration:
databases that applied 0029 before it had this step still get it."""

from models.db import is_postgres


def migrate(database, migrator):
    if is_postgres():
        database.execute_sql('ALTER TABLE "order" ALTER COLUMN payment_status TYPE VARCHAR(20)')
