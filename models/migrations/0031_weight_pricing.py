"""Selling by weight (seed 003, the cheese counter).

Adds (each only when missing: a database created from the current model classes by 0001 already
has them) `variant.sold_by` (`unit` | `weight`, existing variants `unit`),
`variant.weight_step_grams` and `variant.min_weight_grams` (NULL for unit variants),
`cart_item.weight_grams` (grams per piece of a weight line, 0 for unit lines: existing lines
all 0), `order_item.weight_grams` and `order_item.price_per_kg` (NULL: unit lines, all existing).
The two NOT NULL columns also get their database DEFAULT (as the models declare), so rows written
without them (raw SQL) stay valid.

A cart line is now unique per cart, variant, customization key and weight: the unique index on
`(cart_id, variant_id, customization_key)` (0019) is dropped and `(cart_id, variant_id,
customization_key, weight_grams)` created (peewee's index names; `IF EXISTS` / `IF NOT EXISTS`
work the same on SQLite and PostgreSQL). Existing rows were unique on the narrower key, so the
new index cannot fail on them.
"""

import peewee

from models.db import is_postgres
from models.migrations.helpers import add_column_if_missing

COLUMNS = [
    ("variant", "sold_by", lambda: peewee.CharField(max_length=8, default="unit")),
    ("variant", "weight_step_grams", lambda: peewee.IntegerField(null=True)),
    ("variant", "min_weight_grams", lambda: peewee.IntegerField(null=True)),
    ("cart_item", "weight_grams", lambda: peewee.IntegerField(default=0)),
    ("order_item", "weight_grams", lambda: peewee.IntegerField(null=True)),
    ("order_item", "price_per_kg", lambda: peewee.IntegerField(null=True)),
]


def migrate(database, migrator):
    for table, name, field in COLUMNS:
        add_column_if_missing(database, migrator, table, name, field())
    if is_postgres():  # database defaults as the models declare them (SQLite's ADD COLUMN already has them)
        database.execute_sql("ALTER TABLE variant ALTER COLUMN sold_by SET DEFAULT 'unit'")
        database.execute_sql("ALTER TABLE cart_item ALTER COLUMN weight_grams SET DEFAULT 0")
    database.execute_sql("DROP INDEX IF EXISTS cart_item_cart_id_variant_id_customization_key")
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS cart_item_cart_id_variant_id_customization_key_weight_grams"
                         " ON cart_item (cart_id, variant_id, customization_key, weight_grams)")
