"""Stores (issue 11, seed 002 "Stores"): the store's profile, location, contact, ratings,
offers and operational columns on the existing `store` table (each only when missing: a
database created from the current model classes by 0001 already has them; see
models.catalog.Store), its indexes (`(latitude, longitude)`, `longitude`, `city`,
`is_partner`, `is_active`: the nearby search's bounding box and the list's filters), and the
`store_staff` and `store_review` tables. `product.store_id` exists since 0001 (nullable: a
product without a store is the shop's own). Existing stores keep their rows: active, no
location (never nearby), no minimum order."""

import peewee

from models.catalog import Category, Store
from models.db import JSONField, utcnow
from models.migrations.helpers import add_column_if_missing
from models.stores import StoreReview, StoreStaff

_EMPTY, _ZERO = peewee.SQL("DEFAULT ''"), peewee.SQL("DEFAULT 0")
_TRUE, _FALSE = peewee.SQL("DEFAULT TRUE"), peewee.SQL("DEFAULT FALSE")
_NOW = peewee.SQL("DEFAULT CURRENT_TIMESTAMP")

COLUMNS = [
    ("logo", lambda: peewee.CharField(max_length=40, null=True)),
    ("banner", lambda: peewee.CharField(max_length=40, null=True)),
    ("category_id", lambda: peewee.ForeignKeyField(Category, field=Category.id, null=True, on_delete="SET NULL")),
    ("address", lambda: peewee.CharField(max_length=300, default="", constraints=[_EMPTY])),
    ("city", lambda: peewee.CharField(max_length=100, default="", constraints=[_EMPTY])),
    ("country", lambda: peewee.CharField(max_length=2, default="", constraints=[_EMPTY])),
    ("latitude", lambda: peewee.DoubleField(null=True)),
    ("longitude", lambda: peewee.DoubleField(null=True)),
    ("delivery_radius_km", lambda: peewee.DoubleField(default=0, constraints=[_ZERO])),
    ("phone", lambda: peewee.CharField(max_length=20, null=True)),
    ("email", lambda: peewee.CharField(max_length=254, null=True)),
    ("website", lambda: peewee.CharField(max_length=1000, null=True)),
    ("rating_sum", lambda: peewee.IntegerField(default=0, constraints=[_ZERO])),
    ("rating_count", lambda: peewee.IntegerField(default=0, constraints=[_ZERO])),
    ("cashback_bp", lambda: peewee.IntegerField(default=0, constraints=[_ZERO])),
    ("discount_text", lambda: peewee.CharField(max_length=200, default="", constraints=[_EMPTY])),
    ("is_partner", lambda: peewee.BooleanField(default=False, constraints=[_FALSE])),
    ("opening_hours", lambda: JSONField(default=dict, constraints=[peewee.SQL("DEFAULT '{}'")])),
    ("timezone", lambda: peewee.CharField(max_length=64, null=True)),
    ("delivery_time", lambda: peewee.CharField(max_length=50, default="", constraints=[_EMPTY])),
    ("minimum_order", lambda: peewee.IntegerField(default=0, constraints=[_ZERO])),
    ("minimum_order_currency", lambda: peewee.CharField(max_length=3, null=True)),
    ("is_active", lambda: peewee.BooleanField(default=True, constraints=[_TRUE])),
]


def migrate(database, migrator):
    for name, field in COLUMNS:
        add_column_if_missing(database, migrator, "store", name, field())
    updated_at = peewee.DateTimeField(default=utcnow, constraints=[_NOW])
    if add_column_if_missing(database, migrator, "store", "updated_at", updated_at):
        database.execute_sql('UPDATE "store" SET updated_at = created_at')
    Store._schema.create_indexes(safe=True)
    database.create_tables([StoreStaff, StoreReview], safe=True)
