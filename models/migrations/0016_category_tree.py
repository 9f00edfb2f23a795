"""The category tree (issue 9, seed 002 categories).

Adds to an existing `category` table, each only when missing (a database created from the
current model classes by 0001 already has them): `description` (default ""), `icon` and
`image` (nullable), `type` (default `home_delivery`), `parent_id` (nullable, references
`category`), `is_active` (default true), `sort_order` (default 0), `metadata` (JSON text,
default `{}`) and `updated_at` (existing rows: their `created_at`). Creates the index
`category_parent_id_sort_order` on `(parent_id, sort_order)` (siblings in order).
"""

import peewee

from models.catalog import Category
from models.db import JSONField, utcnow
from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    columns = [
        ("description", peewee.TextField(default="")),
        ("icon", peewee.CharField(max_length=1000, null=True)),
        ("image", peewee.CharField(max_length=1000, null=True)),
        ("type", peewee.CharField(max_length=30, default="home_delivery")),
        ("parent_id", peewee.ForeignKeyField(Category, field=Category.id, null=True, on_delete="CASCADE")),
        ("is_active", peewee.BooleanField(default=True)),
        ("sort_order", peewee.IntegerField(default=0)),
        ("metadata", JSONField(default=dict)),
    ]
    for name, field in columns:
        add_column_if_missing(database, migrator, "category", name, field)
    if add_column_if_missing(database, migrator, "category", "updated_at", peewee.DateTimeField(default=utcnow)):
        database.execute_sql("UPDATE category SET updated_at = created_at")
    database.execute_sql("CREATE INDEX IF NOT EXISTS category_parent_id_sort_order ON category (parent_id, sort_order)")
