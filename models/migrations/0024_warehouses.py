"""Warehouses (issue 9): location, regions served, shipping estimates, priority and active on
`warehouse`; `order_allocation` records which warehouse each order line's units came from.
The default warehouse (when present) serves every region (`["*"]`) and comes first (priority 0);
any other warehouse present was never sold from, and stays so (inactive) until an admin gives
it regions and activates it."""

import json

import peewee

from models.db import JSONField, utcnow
from models.migrations.helpers import add_column_if_missing
from models.orders import OrderAllocation

COLUMNS = [
    ("address", lambda: JSONField(default=dict)),
    ("latitude", lambda: peewee.FloatField(null=True)),
    ("longitude", lambda: peewee.FloatField(null=True)),
    ("regions", lambda: JSONField(default=list)),
    ("shipping_estimates", lambda: JSONField(default=dict)),
    ("priority", lambda: peewee.IntegerField(default=100)),
    ("active", lambda: peewee.BooleanField(default=True)),
    ("created_at", lambda: peewee.DateTimeField(default=utcnow)),
    ("updated_at", lambda: peewee.DateTimeField(default=utcnow)),
]


def migrate(database, migrator):
    for name, field in COLUMNS:
        add_column_if_missing(database, migrator, "warehouse", name, field())
    database.execute_sql("UPDATE warehouse SET regions = %s, priority = 0 WHERE is_default AND (regions IS NULL "
                         "OR regions = %s)"
                         .replace("%s", database.param), (json.dumps(["*"]), json.dumps([])))
    # Other warehouses that existed were never sold from: they stay so until given regions.
    database.execute_sql("UPDATE warehouse SET active = %s WHERE NOT is_default AND (regions IS NULL OR regions = %s)"
                         .replace("%s", database.param), (False, json.dumps([])))
    database.create_tables([OrderAllocation], safe=True)
