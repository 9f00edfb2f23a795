"""The catalog's reads: list, filter, sort and read products with their variants, stock and images.

Money is always integer minor units of the shop currency (`config.get().currency`).
`Product.price` / `Product.compare_at_price` mirror the cheapest variant and are
refreshed on every write, so lists can filter and sort on one indexed column.

Reads batch-load: `load_views(products)` costs two queries whatever the page size
(variants joined with their stock, then images). Archived variants (kept only for the
orders that refer to them, see `variant_sets`) are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import peewee
from peewee import JOIN

from models.catalog import Category, Product, ProductImage, Variant
from services.catalog import list_totals, product_filters
from services.catalog.warehouses import sellable_units
from services.errors import NotFound

MAX_PRICE = 10**9  # minor units; keeps sums far from 64-bit limits
SORT_FIELDS = ("price", "name", "createdAt")


class VariantRow(NamedTuple):
    """A variant as lists read it (a plain row: cheaper than a model instance). Prices in minor units."""

    id: str
    product_id: str
    name: str
    sku: str | None
    price: int
    compare_at_price: int | None
    weight_grams: int | None
    option_values: list
    position: int
    wholesale_price: int | None = None  # minor units (migration 0019)
    sold_by: str = "unit"  # "weight": price per kilogram, stock in grams (migration 0031)
    weight_step_grams: int | None = None
    min_weight_grams: int | None = None


class ImageRow(NamedTuple):
    """An image as lists read it."""

    id: str
    product_id: str
    url: str
    alt_text: str
    sort_order: int


@dataclass
class ProductView:
    """A product with everything its JSON needs.

    `category` is the category slug (or None); `variants` (VariantRow) are in
    position order, `images` (ImageRow) in sort order; `stock` maps variant id
    to available units in the default warehouse (on hand minus reserved by carts: the
    product JSON's `inventoryCount`).
    """

    product: Product
    category: str | None
    variants: list = field(default_factory=list)
    images: list = field(default_factory=list)
    stock: dict = field(default_factory=dict)


def _category_slug(product: Product) -> str | None:
    """The slug `with_category` loaded with the product (else one query); None without a category."""
    if product.category_id is None:
        return None
    slug = getattr(product, "category_slug", None)
    return slug if slug is not None else product.category.slug


def with_category(query):
    """`query` (on Product) also reading each product's category slug as `category_slug`."""
    return (query.select_extend(Category.slug.alias("category_slug"))
            .join(Category, JOIN.LEFT_OUTER, on=(Product.category == Category.id)).objects())


VARIANT_ROW_COLUMNS = (Variant.id, Variant.product, Variant.name, Variant.sku, Variant.price, Variant.compare_at_price,
                       Variant.weight_grams, Variant.option_values, Variant.position, Variant.wholesale_price,
                       Variant.sold_by, Variant.weight_step_grams, Variant.min_weight_grams)


def load_views(products: list[Product]) -> list[ProductView]:
    """Live variants (with stock) and images for `products`, in two queries; returns views in the same order.

    Products should have been selected with `with_category`; otherwise reading
    the category slug costs a query per product that has one.
    """
    views = {p.id: ProductView(p, _category_slug(p)) for p in products}
    if not views:
        return []
    ids = list(views)
    variants = (Variant.select(*VARIANT_ROW_COLUMNS, sellable_units(Variant.id))  # active warehouses
                .where(Variant.product.in_(ids), Variant.archived_at.is_null())
                .order_by(Variant.position, Variant.id)
                .tuples())
    for *columns, quantity in variants:
        row = VariantRow(*columns)
        view = views[row.product_id]
        view.variants.append(row)
        view.stock[row.id] = quantity or 0
    images = (ProductImage.select(ProductImage.id, ProductImage.product, ProductImage.url, ProductImage.alt_text,
                                  ProductImage.sort_order)
              .where(ProductImage.product.in_(ids)).order_by(ProductImage.sort_order, ProductImage.id).tuples())
    for columns in images:
        row = ImageRow(*columns)
        views[row.product_id].images.append(row)
    return [views[p.id] for p in products]


def list_products(category: str | None = None, min_price: int | None = None, max_price: int | None = None,
                  search: str | None = None, sort_by: str = "createdAt", sort_order: str | None = None,
                  in_stock: bool | None = None, page: int = 1, limit: int = 20, include_inactive: bool = False,
                  status: str | None = None, store_id: str | None = None,
                  category_ids: list[str] | None = None, kind=None, is_featured: bool | None = None,
                  is_new: bool | None = None, attributes: dict | None = None) -> tuple[list[ProductView], int]:
    """A page of products and the total matching. Returns `(views, total)`.

    Filters are services.catalog.product_filters.filter_products's (category, category_ids,
    min_price/max_price in minor units, search, in_stock, store_id, status/include_inactive,
    kind, is_featured, is_new and typed `attributes` {name: [values]}).
    `sort_by` is price | name | createdAt (also created_at); `sort_order`
    asc | desc, by default asc for price and name, desc for createdAt. Ties
    break on id so pages never overlap. Costs at most four queries. The public list's total
    is cached per filter set for `CATALOG_CACHE_SECONDS` (`list_totals`).
    """
    query = product_filters.filter_products(
        Product.select(), include_inactive=include_inactive, status=status, category=category,
        category_ids=category_ids, store_id=store_id, min_price=min_price, max_price=max_price, search=search,
        in_stock=in_stock, kind=kind, is_featured=is_featured, is_new=is_new, attributes=attributes)

    sort_key = "createdAt" if sort_by == "created_at" else sort_by
    column = {"price": Product.price, "name": peewee.fn.LOWER(Product.name),
              "createdAt": Product.created_at}[sort_key]
    order = sort_order or ("desc" if sort_key == "createdAt" else "asc")
    ordering = column.desc() if order == "desc" else column.asc()
    rows = list(with_category(query).order_by(ordering, Product.id).paginate(page, limit))
    if page == 1 and len(rows) < limit:
        total = len(rows)
    else:
        total = query.count() if include_inactive else list_totals.total(query)
    return load_views(rows), total


def get_product(product_id: str, include_inactive: bool = False) -> Product:
    """The product with this id (`prod_...`) or handle, its category slug loaded.

    Draft and archived products are found only with `include_inactive` (staff).
    Raises NotFound (404, `product_not_found`).
    """
    key = Product.id if product_id.startswith("prod_") else Product.handle
    product = with_category(Product.select()).where(key == product_id).first()
    if product is None or (product.status != "active" and not include_inactive):
        raise NotFound("Product not found", reason="product_not_found")
    return product


def product_view(product: Product) -> ProductView:
    """One product's view (variants, images, stock), in two queries."""
    return load_views([product])[0]
