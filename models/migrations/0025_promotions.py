"""Promotions (issue 10): `discount_code` gains description, maximum discount, per-customer limit,
applicable categories and products, a personal customer, its creator and `updated_at`; the new
`discount_use` table records each order's use of a code (given back on cancellation). Existing
codes keep their behaviour: no cap, no per-customer limit, the whole cart."""

import peewee

from models.db import JSONField, utcnow
from models.migrations.helpers import add_column_if_missing
from models.orders import DiscountUse
from models.users import User

COLUMNS = [
    ("description", lambda: peewee.CharField(max_length=500, default="")),
    ("maximum_discount", lambda: peewee.IntegerField(null=True)),
    ("per_customer_limit", lambda: peewee.IntegerField(null=True)),
    ("category_ids", lambda: JSONField(default=list)),
    ("product_ids", lambda: JSONField(default=list)),
    ("customer_id", lambda: peewee.ForeignKeyField(User, null=True, field=User.id, on_delete="CASCADE")),
    ("created_by_id", lambda: peewee.ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL")),
    ("updated_at", lambda: peewee.DateTimeField(default=utcnow)),
]


def migrate(database, migrator):
    for name, field in COLUMNS:
        add_column_if_missing(database, migrator, "discount_code", name, field())
    database.create_tables([DiscountUse], safe=True)
