"""Staff refunds (issue 10): `refund` gains `kind` (cancellation | manual), the order `lines` a
manual refund covers and `created_by`. Every earlier refund was a cancellation's."""

import peewee

from models.db import JSONField
from models.migrations.helpers import add_column_if_missing
from models.users import User

COLUMNS = [
    ("kind", lambda: peewee.CharField(max_length=16, default="cancellation")),
    ("lines", lambda: JSONField(default=list)),
    ("created_by_id", lambda: peewee.ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL")),
]


def migrate(database, migrator):
    for name, field in COLUMNS:
        add_column_if_missing(database, migrator, "refund", name, field())
