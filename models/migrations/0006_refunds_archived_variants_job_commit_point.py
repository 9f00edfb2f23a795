"""Refunds, archived variants and the job commit point (issue 6).

Creates `refund`; adds the nullable `variant.archived_at` and `job.cancellable`
(default true). Checkout jobs whose order already exists are past their commit point,
so they are made non-cancellable, and one whose cancel was requested (it would have
ended `cancelled` with its order) goes back to `running`: its worker finishes it, or
the relay re-queues it once its lease expired and the re-run finds the order.
Columns are added only when missing: a database created from the current model
classes by 0001 already has them.
"""

import peewee
from playhouse import migrate as pw_migrate

from models.orders import Refund


def _add_column_if_missing(database, migrator, table, name, field):
    if name not in {c.name for c in database.get_columns(table)}:
        pw_migrate.migrate(migrator.add_column(table, name, field))


def migrate(database, migrator):
    database.create_tables([Refund], safe=True)
    _add_column_if_missing(database, migrator, "variant", "archived_at", peewee.DateTimeField(null=True))
    _add_column_if_missing(database, migrator, "job", "cancellable", peewee.BooleanField(default=True))
    with_order = 'id IN (SELECT job_id FROM "order" WHERE job_id IS NOT NULL)'
    database.execute_sql(f"UPDATE job SET cancellable = {database.param} WHERE cancellable = {database.param} "
                         f"AND {with_order}", (False, True))
    database.execute_sql(f"UPDATE job SET state = 'running' WHERE state = 'cancel_requested' AND {with_order}")
