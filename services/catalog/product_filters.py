"""The product list's WHERE clause: every filter of `GET /api/v1/products` (and of search and its
facets, services.search), built on a peewee query over Product.

`filter_products(query, **filters)` is the one place filters are defined, so the list, the
featured/popular collections and search count the same products. Typed attribute filters are
index lookups on `ProductAttributeValue` (`(name, value)` index): within one attribute the given
values are OR-ed, across attributes AND-ed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import peewee

from models.catalog import Category, InventoryLevel, Product, ProductAttributeValue, Variant
from services.catalog.warehouses import active_warehouse_ids


def _as_list(value) -> list | None:
    """None -> None; a string -> [it]; any other iterable -> a list."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)


def attribute_filter(name: str, values: Iterable[str]) -> peewee.Expression:
    """`Product.id IN (products with attribute `name` equal to one of `values`)`.

    `name` is the API's camelCase attribute name (`occasion`, `flowerType`, `colors`,
    `skinTypes`, `concerns`, `isNew`...), `values` are compared in lower case (the index holds
    normalised, lower-case values; booleans as "true"/"false").
    """
    wanted = sorted({str(v).strip().lower() for v in values})
    rows = ProductAttributeValue.select(ProductAttributeValue.product).where(
        ProductAttributeValue.name == name, ProductAttributeValue.value.in_(wanted))
    return Product.id.in_(rows)


def in_stock_filter(in_stock: bool) -> peewee.Expression:
    """Products with (True) or without (False) a live variant with available units (on hand minus
    reserved) in an active warehouse."""
    stocked = (Variant.select(Variant.product).join(InventoryLevel)
               .where(InventoryLevel.quantity > InventoryLevel.reserved,
                      InventoryLevel.warehouse.in_(active_warehouse_ids()),
                      Variant.archived_at.is_null()))
    return Product.id.in_(stocked) if in_stock else Product.id.not_in(stocked)


def filter_products(query: peewee.SelectQuery, *, include_inactive: bool = False, status: str | None = None,
                    category: str | None = None, category_ids: list[str] | None = None,
                    store_id: str | None = None, min_price: int | None = None, max_price: int | None = None,
                    search: str | None = None, in_stock: bool | None = None,
                    kind: str | Iterable[str] | None = None, is_featured: bool | None = None,
                    is_new: bool | None = None,
                    attributes: Mapping[str, Iterable[str]] | None = None) -> peewee.SelectQuery:
    """`query` (a select on Product) narrowed by the product list's filters; every one optional.

    - status: only `active` products unless `include_inactive` (staff), who may then pick a
      `status` (default: everything but archived);
    - `category` slug; `category_ids` (products in any of them, e.g. a category's subtree);
      `store_id`;
    - `min_price`/`max_price` in minor units, on the cheapest variant (`Product.price`);
    - `search`: case-insensitive substring of name, vendor, type, tags or a live SKU;
    - `in_stock`: some live variant has units on hand (False: none has);
    - `kind`: one kind or several (OR), models.catalog.PRODUCT_KINDS;
    - `is_featured`: the `Product.is_featured` flag;
    - `is_new`: the typed `isNew` attribute (True: isNew is true; False: it is false or unset);
    - `attributes`: `{attribute name: [values]}` (e.g. `{"occasion": ["birthday", "wedding"],
      "colors": ["red"]}`): OR within one attribute, AND across attributes; names are the
      filterable attributes of services.catalog.product_attributes (an empty value list is
      ignored).
    Returns a new query (no SQL runs here).
    """
    if not include_inactive:
        query = query.where(Product.status == "active")
    elif status:
        query = query.where(Product.status == status)
    else:
        query = query.where(Product.status != "archived")
    if category:
        query = query.where(Product.category.in_(Category.select(Category.id).where(Category.slug == category)))
    if category_ids is not None:
        query = query.where(Product.category.in_(category_ids))
    if store_id:
        query = query.where(Product.store == store_id)
    if min_price is not None:
        query = query.where(Product.price >= min_price)
    if max_price is not None:
        query = query.where(Product.price <= max_price)
    if search and search.strip():
        term = search.strip()
        query = query.where(
            Product.name.contains(term) | Product.vendor.contains(term) | Product.product_type.contains(term)
            | Product.tags.cast("text").contains(term)
            | Product.id.in_(Variant.select(Variant.product).where(Variant.sku.contains(term),
                                                                  Variant.archived_at.is_null())))
    if in_stock is not None:
        query = query.where(in_stock_filter(in_stock))
    kinds = _as_list(kind)
    if kinds:
        query = query.where(Product.kind.in_(kinds))
    if is_featured is not None:
        query = query.where(Product.is_featured == is_featured)
    if is_new is not None:
        new = attribute_filter("isNew", ["true"])
        query = query.where(new if is_new else ~new)
    for name, values in sorted((attributes or {}).items()):
        values = _as_list(values)
        if values:
            query = query.where(attribute_filter(name, values))
    return query
