"""Typed product attributes (issue 9).

Adds `product.kind` (general | florist | cheese | skincare; existing products are `general`) and
`product.is_featured` with their indexes, and creates `productattributevalue`, the filterable
index of typed attribute values (models.catalog.ProductAttributeValue). Each column is added only
when missing: a database created from the current model classes by 0001 already has them.

Existing products are backfilled once (while the index is empty): a product whose attributes
belong to exactly one kind (`occasion`/`flowerType`/`colors` -> florist; `weight`,
`nutritionalInfo`, `milk`, `origin`, `agedMonths` -> cheese; `skinTypes`, `concerns`,
`howToUse` -> skincare) gets that kind, and its filterable values (lower-cased; booleans as
"true"/"false") become index rows, as services.catalog.product_attributes would write them. Raw
SQL, so later migrations' product columns do not matter here.
"""

import json

import peewee

from models.catalog import ProductAttributeValue
from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    add_column_if_missing(database, migrator, "product", "kind",
                           peewee.CharField(max_length=20, default="general"))
    add_column_if_missing(database, migrator, "product", "is_featured", peewee.BooleanField(default=False))
    database.execute_sql("CREATE INDEX IF NOT EXISTS product_kind ON product (kind)")
    database.execute_sql("CREATE INDEX IF NOT EXISTS product_is_featured ON product (is_featured)")
    database.create_tables([ProductAttributeValue], safe=True)
    if not ProductAttributeValue.select().exists():
        _backfill(database)


KIND_OF = {"occasion": "florist", "flowerType": "florist", "colors": "florist", "weight": "cheese",
           "nutritionalInfo": "cheese", "milk": "cheese", "origin": "cheese", "agedMonths": "cheese",
           "skinTypes": "skincare", "concerns": "skincare", "howToUse": "skincare"}
INDEXED = ("isNew", "occasion", "flowerType", "colors", "milk", "skinTypes", "concerns")


def _backfill(database) -> None:
    rows = database.execute_sql("SELECT id, attributes FROM product WHERE kind = 'general'").fetchall()
    for product_id, text in rows:
        try:
            attributes = json.loads(text) if text else {}
        except ValueError:
            continue
        if not isinstance(attributes, dict) or not attributes:
            continue
        kinds = {KIND_OF[name] for name in attributes if name in KIND_OF}
        if len(kinds) == 1:
            database.execute_sql(f"UPDATE product SET kind = {database.param} WHERE id = {database.param}",
                                 (kinds.pop(), product_id))
        values = set()
        for name in INDEXED:
            value = attributes.get(name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, bool):
                    values.add((name, "true" if item else "false"))
                elif isinstance(item, str) and item.strip():
                    values.add((name, item.strip().lower()[:255]))
        if values:
            ProductAttributeValue.insert_many([{"product": product_id, "name": n, "value": v}
                                               for n, v in sorted(values)]).on_conflict_ignore().execute()
