"""Product customizations and wholesale pricing (issue 9, seeds 001 and 000).

Adds (each only when missing: a database created from the current model classes by 0001 already
has them; with plain `ALTER TABLE ADD COLUMN`, see `_add_column`) `product.customizations` (the
product's priced options, JSON text, `[]`),
`variant.wholesale_price` (minor units, NULL: no wholesale price), `user.customer_group`
(`retail` | `wholesale`, existing accounts `retail`), `cart_item.customizations` and
`cart_item.customization_key` (existing lines: none, key ""), `order_item.customizations`
(existing lines: `[]`). Text columns get a database default too, so rows written without them
(raw SQL) stay valid.

A cart line is now unique per cart, variant and customization key: the old unique index on
`(cart_id, variant_id)` is dropped and `(cart_id, variant_id, customization_key)` created. Plain
`DROP INDEX IF EXISTS` / `CREATE UNIQUE INDEX IF NOT EXISTS` work the same on SQLite and
PostgreSQL (index names are peewee's, `<table>_<columns>`); existing rows all have key "" and
were unique per variant, so the new index cannot fail on them.
"""


def _add_column(database, table: str, column: str, definition: str) -> None:
    """`ALTER TABLE ... ADD COLUMN` unless the column exists. NOT NULL columns are added with
    their DEFAULT in one statement (SQLite and PostgreSQL both allow it), never through
    playhouse's add_not_null: on SQLite that rebuilds the table, and dropping the old table with
    foreign keys on cascades (a product table rebuilt would delete every variant, cart line...)."""
    if column not in {c.name for c in database.get_columns(table)}:
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {definition}')


def migrate(database, migrator):
    _add_column(database, "product", "customizations", "TEXT NOT NULL DEFAULT '[]'")
    _add_column(database, "variant", "wholesale_price", "INTEGER")
    _add_column(database, "user", "customer_group", "VARCHAR(16) NOT NULL DEFAULT 'retail'")
    _add_column(database, "cart_item", "customizations", "TEXT NOT NULL DEFAULT '[]'")
    _add_column(database, "cart_item", "customization_key", "VARCHAR(64) NOT NULL DEFAULT ''")
    _add_column(database, "order_item", "customizations", "TEXT NOT NULL DEFAULT '[]'")
    database.execute_sql("DROP INDEX IF EXISTS cart_item_cart_id_variant_id")
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS cart_item_cart_id_variant_id_customization_key "
                         "ON cart_item (cart_id, variant_id, customization_key)")
