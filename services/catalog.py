"""The catalog: list, read, create, update and archive products; set their stock.

Money is always integer minor units of the shop currency (`config.get().currency`).
`Product.price` / `Product.compare_at_price` mirror the cheapest variant and are
refreshed on every write, so lists can filter and sort on one indexed column.

Writes take a snake_case dict (what the web schemas load, and what the Shopify
importer builds):

    {"name", "description", "handle", "category" (slug or None), "tags", "status",
     "seo_title", "seo_description", "vendor", "product_type", "store_id",
     "attributes" (dict), "currency",
     "images": [{"id"?, "url", "alt_text", "sort_order"}],
     "variants": [{"id"?, "name", "sku", "price", "compare_at_price",
                   "inventory_count", "weight_grams", "requires_shipping",
                   "options": [{"name", "value"}]}]}

A given `variants` (or `images`) list is the complete new set, as in Shopify's
product update: listed entries are matched to existing ones (variants by id,
then SKU, then option values or name; images by id, then URL) and keep their
ids; unlisted ones are deleted. Orders keep their own product snapshot, so
deleting a variant never rewrites history.

Reads batch-load: `load_views(products)` costs two queries whatever the page size
(variants joined with their stock, then images).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import peewee
from peewee import JOIN

import config
from models.catalog import PRODUCT_STATUSES, Category, InventoryLevel, Product, ProductImage, Store, Variant
from models.db import atomic, utcnow
from models.wishlists import WishlistItem
from services import events, inventory
from services.errors import Conflict, NotFound, ValidationFailed

MAX_PRICE = 10**9  # minor units; keeps sums far from 64-bit limits
SORT_FIELDS = ("price", "name", "createdAt")
PRODUCT_FIELDS = ("name", "description", "vendor", "product_type", "tags", "status", "seo_title",
                  "seo_description", "attributes")
VARIANT_FIELDS = ("name", "sku", "price", "compare_at_price", "weight_grams", "requires_shipping")


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
    to units on hand in the default warehouse.
    """

    product: Product
    category: str | None
    variants: list = field(default_factory=list)
    images: list = field(default_factory=list)
    stock: dict = field(default_factory=dict)


def slugify(text: str, max_length: int = 200) -> str:
    """`"Crème Brûlée 30ml!"` -> `"creme-brulee-30ml"` (ASCII, lower-case, hyphens); "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


# --------------------------------------------------------------------------- reads

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
                   Variant.weight_grams, Variant.option_values, Variant.position)


def load_views(products: list[Product]) -> list[ProductView]:
    """Variants (with stock) and images for `products`, in two queries; returns views in the same order.

    Products should have been selected with `with_category`; otherwise reading
    the category slug costs a query per product that has one.
    """
    views = {p.id: ProductView(p, _category_slug(p)) for p in products}
    if not views:
        return []
    ids = list(views)
    warehouse = inventory.default_warehouse_id()
    variants = (Variant.select(*VARIANT_ROW_COLUMNS, InventoryLevel.quantity)
                .join(InventoryLevel, JOIN.LEFT_OUTER,
                      on=((InventoryLevel.variant == Variant.id) & (InventoryLevel.warehouse == warehouse)))
                .where(Variant.product.in_(ids))
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
                  status: str | None = None, store_id: str | None = None) -> tuple[list[ProductView], int]:
    """A page of products and the total matching. Returns `(views, total)`.

    Filters: `category` slug; `min_price`/`max_price` in minor units, on the
    cheapest variant; `search` (case-insensitive substring of name, vendor,
    type, tags or a SKU); `in_stock` (some variant has units on hand);
    `store_id`. Only active products unless `include_inactive` (staff), who
    may then pick a `status` (default: everything but archived).
    `sort_by` is price | name | createdAt (also created_at); `sort_order`
    asc | desc, by default asc for price and name, desc for createdAt. Ties
    break on id so pages never overlap. Costs at most four queries.
    """
    query = Product.select()
    if not include_inactive:
        query = query.where(Product.status == "active")
    elif status:
        query = query.where(Product.status == status)
    else:
        query = query.where(Product.status != "archived")
    if category:
        query = query.where(Product.category.in_(Category.select(Category.id).where(Category.slug == category)))
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
            | Product.id.in_(Variant.select(Variant.product).where(Variant.sku.contains(term))))
    if in_stock is not None:
        stocked = (Variant.select(Variant.product).join(InventoryLevel)
                   .where(InventoryLevel.quantity > 0, InventoryLevel.warehouse == inventory.default_warehouse_id()))
        query = query.where(Product.id.in_(stocked) if in_stock else Product.id.not_in(stocked))

    sort_key = "createdAt" if sort_by == "created_at" else sort_by
    column = {"price": Product.price, "name": peewee.fn.LOWER(Product.name),
              "createdAt": Product.created_at}[sort_key]
    order = sort_order or ("desc" if sort_key == "createdAt" else "asc")
    ordering = column.desc() if order == "desc" else column.asc()
    rows = list(with_category(query).order_by(ordering, Product.id).paginate(page, limit))
    if page == 1 and len(rows) < limit:
        total = len(rows)
    else:
        total = query.count()
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


# --------------------------------------------------------------------------- writes

def _category_id(slug: str | None) -> str | None:
    """Id of the category with `slug`, created on first use (race-safe)."""
    if not slug:
        return None
    clean = slugify(slug)
    if not clean:
        raise ValidationFailed("Category must be a slug such as 'serums'", reason="invalid_category",
                               details=[{"field": "category", "message": "Use letters, digits and hyphens"}])
    name = clean.replace("-", " ").title()
    Category.insert(name=name, slug=clean).on_conflict_ignore().execute()
    return Category.select(Category.id).where(Category.slug == clean).scalar()


def _unique_handle(name: str) -> str:
    """A free handle for `name`: its slug, else the slug with the first free `-2`, `-3`... suffix."""
    base = slugify(name) or "product"
    taken = {h for (h,) in Product.select(Product.handle).where(
        (Product.handle == base) | Product.handle.startswith(base + "-")).tuples()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _apply_fields(product: Product, data: dict) -> None:
    """Copy product-level fields present in `data` onto `product` (not saved)."""
    for name in PRODUCT_FIELDS:
        if name in data and data[name] is not None:
            setattr(product, name, data[name])
    if "status" in data and data["status"] not in PRODUCT_STATUSES:
        raise ValidationFailed(f"Status must be one of {', '.join(PRODUCT_STATUSES)}", reason="invalid_status",
                               details=[{"field": "status", "message": "Unknown status"}])
    currency = data.get("currency")
    if currency and currency.upper() != product.currency:
        raise ValidationFailed(f"This shop sells in {product.currency}", reason="unsupported_currency",
                               details=[{"field": "currency", "message": f"Must be {product.currency}"}])
    if "category" in data:
        product.category = _category_id(data["category"])
    if "store_id" in data:
        store_id = data["store_id"]
        if store_id and not Store.select().where(Store.id == store_id).exists():
            raise ValidationFailed("Store not found", reason="unknown_store",
                                   details=[{"field": "storeId", "message": "No such store"}])
        product.store = store_id
    if data.get("handle"):
        handle = slugify(data["handle"], 255)
        clash = Product.select().where(Product.handle == handle, Product.id != product.id).exists()
        if clash:
            raise Conflict(f"Handle {handle!r} is already used by another product", reason="handle_taken",
                           details=[{"field": "handle", "message": "Already used"}])
        product.handle = handle
    elif not product.handle:
        product.handle = _unique_handle(product.name)
    product.updated_at = utcnow()


def _option_layout(specs: list[dict]) -> list[str]:
    """The product's option names, from the first variant; every variant must use the same names."""
    names = [o["name"] for o in (specs[0].get("options") or [])] if specs else []
    for i, spec in enumerate(specs):
        if [o["name"] for o in (spec.get("options") or [])] != names:
            raise ValidationFailed("Every variant must have the same option names in the same order",
                                   reason="inconsistent_options",
                                   details=[{"field": f"variants.{i}.options", "message": f"Expected {names}"}])
    return names


def _variant_key(option_values: list, name: str) -> tuple:
    """The natural key of a variant inside its product: option values, or its name without options."""
    return tuple(option_values) if option_values else (name,)


def _check_skus(product: Product, specs: list[dict]) -> None:
    seen = {}
    for i, spec in enumerate(specs):
        sku = spec.get("sku")
        if not sku:
            continue
        if sku in seen:
            raise ValidationFailed(f"SKU {sku!r} is listed twice", reason="duplicate_sku",
                                   details=[{"field": f"variants.{i}.sku", "message": "Duplicate SKU"}])
        seen[sku] = i
    if not seen:
        return
    clash = (Variant.select(Variant.sku).where(Variant.sku.in_(list(seen)), Variant.product != product.id)
             .tuples().first())
    if clash:
        raise Conflict(f"SKU {clash[0]!r} is already used by another product", reason="duplicate_sku",
                       details=[{"field": f"variants.{seen[clash[0]]}.sku", "message": "SKU already exists"}])


def _match_variants(existing: list[Variant], specs: list[dict], names: list[str]) -> list:
    """Pair each spec with the existing variant it updates (or None for a new one)."""
    by_id = {v.id: v for v in existing}
    by_sku = {v.sku: v for v in existing if v.sku}
    by_key = {_variant_key(v.option_values or [], v.name): v for v in existing}
    plan, claimed, keys = [], set(), set()
    for i, spec in enumerate(specs):
        values = [o["value"] for o in (spec.get("options") or [])]
        if spec.get("id"):
            match = by_id.get(spec["id"])
            if match is None:
                raise ValidationFailed("Variant does not belong to this product", reason="unknown_variant",
                                       details=[{"field": f"variants.{i}.id", "message": "Unknown variant"}])
        else:
            match = by_sku.get(spec.get("sku")) if spec.get("sku") else None
            if match is None:
                candidate = by_key.get(_variant_key(values, spec.get("name") or " / ".join(values) or "Default"))
                match = candidate if candidate is not None and candidate.id not in claimed else None
        name = spec.get("name") or " / ".join(values) or (match.name if match else "Default")
        key = _variant_key(values, name)
        if key in keys or (match is not None and match.id in claimed):
            raise ValidationFailed("Two variants have the same options", reason="duplicate_variant",
                                   details=[{"field": f"variants.{i}", "message": f"Duplicate of {list(key)}"}])
        keys.add(key)
        if match is not None:
            claimed.add(match.id)
        plan.append((match, spec, name, values))
    return plan


def _save_variants(product: Product, specs: list[dict]) -> list[Variant]:
    """Make `specs` the product's complete variant set; returns the variants in position order."""
    if not specs:
        raise ValidationFailed("A product needs at least one variant", reason="no_variants",
                               details=[{"field": "variants", "message": "At least one variant"}])
    names = _option_layout(specs)
    _check_skus(product, specs)
    existing = list(Variant.select().where(Variant.product == product.id))
    plan = _match_variants(existing, specs, names)
    kept = {match.id for match, *_ in plan if match is not None}
    stale = [v.id for v in existing if v.id not in kept]
    if stale:
        Variant.delete().where(Variant.id.in_(stale)).execute()
    now = utcnow()
    saved = []
    for position, (variant, spec, name, values) in enumerate(plan, start=1):
        is_new = variant is None
        if is_new:
            if spec.get("price") is None:
                raise ValidationFailed("A new variant needs a price", reason="missing_price",
                                       details=[{"field": f"variants.{position - 1}.price", "message": "Required"}])
            variant = Variant(product=product.id)
        for attr in VARIANT_FIELDS:
            if attr not in spec or (spec[attr] is None and attr in ("price", "requires_shipping")):
                continue
            setattr(variant, attr, (spec[attr] or None) if attr == "sku" else spec[attr])
        variant.name = name
        variant.option_values = values
        variant.position = position
        variant.updated_at = now
        variant.save(force_insert=is_new)
        if spec.get("inventory_count") is not None:
            inventory.set_stock(variant.id, spec["inventory_count"])
        saved.append(variant)
    product.options = names
    return saved


def _save_images(product: Product, specs: list[dict]) -> None:
    """Make `specs` the product's complete image set (deduplicated by URL)."""
    existing = list(ProductImage.select().where(ProductImage.product == product.id))
    by_id = {img.id: img for img in existing}
    by_url = {img.url: img for img in existing}
    kept, urls = {}, set()
    for i, spec in enumerate(specs):
        if spec["url"] in urls:
            continue
        urls.add(spec["url"])
        if spec.get("id") and spec["id"] not in by_id:
            raise ValidationFailed("Image does not belong to this product", reason="unknown_image",
                                   details=[{"field": f"images.{i}.id", "message": "Unknown image"}])
        image = by_id.get(spec.get("id")) or by_url.get(spec["url"])
        if image is None or image.id in kept:
            image = ProductImage(product=product.id)
        image.url = spec["url"]
        image.alt_text = spec.get("alt_text") or ""
        image.sort_order = spec.get("sort_order") or len(kept) + 1
        image.save(force_insert=image.id not in by_id)
        kept[image.id] = image
    stale = [img.id for img in existing if img.id not in kept]
    if stale:
        ProductImage.delete().where(ProductImage.id.in_(stale)).execute()


def _mirror_cheapest(product: Product, variants: list[Variant]) -> None:
    cheapest = min(variants, key=lambda v: (v.price, v.position))
    product.price = cheapest.price
    product.compare_at_price = cheapest.compare_at_price


def _write(product: Product, data: dict, creating: bool) -> Product:
    """Apply `data` to `product` and its variants/images inside the caller's transaction.

    A lower price on an existing product that is on someone's wishlist emits
    `wishlist.price_drop` (product id; data oldPrice, newPrice in minor units, currency)."""
    old_price = None if creating else product.price
    _apply_fields(product, data)
    if creating and "variants" not in data:
        raise ValidationFailed("A product needs at least one variant", reason="no_variants",
                               details=[{"field": "variants", "message": "Required"}])
    if creating:
        product.price = 0
        product.save(force_insert=True)
    if "variants" in data:
        variants = _save_variants(product, data["variants"])
    else:
        variants = list(Variant.select().where(Variant.product == product.id))
    if "images" in data:
        _save_images(product, data["images"] or [])
    _mirror_cheapest(product, variants)
    product.save()
    if old_price is not None and product.price < old_price and product.status == "active" \
            and WishlistItem.select().where(WishlistItem.product == product.id).exists():
        events.emit("wishlist.price_drop", product.id, {"productId": product.id, "oldPrice": old_price,
                                                         "newPrice": product.price, "currency": product.currency})
    return product


def _integrity_to_conflict(exc: peewee.IntegrityError) -> Conflict:
    text = str(exc).lower()
    reason = "duplicate_sku" if "sku" in text else "handle_taken" if "handle" in text else "conflict"
    return Conflict("The product conflicts with an existing one (handle or SKU)", reason=reason)


def create_product(data: dict) -> Product:
    """Create a product with its variants (>= 1), images and stock, in one transaction.

    `data` is the module's write shape; the handle defaults to a unique slug of
    the name. Raises ValidationFailed (422: no variants, inconsistent options,
    duplicate variants, unknown store or currency), Conflict (409:
    `duplicate_sku`, `handle_taken`).
    """
    try:
        with atomic():
            product = Product(name=data["name"], currency=config.get().currency, handle="")
            return _write(product, data, creating=True)
    except peewee.IntegrityError as exc:
        raise _integrity_to_conflict(exc) from None


def update_product(product_id: str, data: dict) -> Product:
    """Update fields present in `data` (partial); `variants`/`images`, when given, are the
    complete new sets (see module docstring). Staff may update draft and archived products.

    Raises NotFound, ValidationFailed, Conflict as `create_product`.
    """
    try:
        with atomic():
            product = get_product(product_id, include_inactive=True)
            return _write(product, data, creating=False)
    except peewee.IntegrityError as exc:
        raise _integrity_to_conflict(exc) from None


def upsert_product(data: dict) -> tuple[Product, bool]:
    """Create or update the product whose handle is `data["handle"]` (the importer's write).

    Returns `(product, created)`. A handle that belongs to another store's
    product raises Conflict (`handle_taken`); otherwise as `create_product`.
    """
    try:
        with atomic():
            product = Product.get_or_none(Product.handle == data["handle"])
            if product is None:
                return create_product(data), True
            if product.store_id != data.get("store_id"):
                raise Conflict("This handle belongs to another store's product", reason="handle_taken",
                               details=[{"field": "handle", "message": "Used by another store"}])
            return _write(product, data, creating=False), False
    except peewee.IntegrityError as exc:
        raise _integrity_to_conflict(exc) from None


def archive_product(product_id: str) -> Product:
    """Soft-delete: set status `archived` (idempotent). Raises NotFound.

    Products are archived, never deleted, because orders, carts and reports
    reference them (Shopify archives for the same reason); an archived product
    disappears from the storefront and can be restored by setting its status.
    """
    with atomic():
        product = get_product(product_id, include_inactive=True)
        Product.update(status="archived", updated_at=utcnow()).where(Product.id == product.id).execute()
    return get_product(product.id, include_inactive=True)


def set_product_stock(product_id: str, variant_id: str | None = None, inventory_count: int | None = None,
                      adjustment: int | None = None) -> Product:
    """Set (`inventory_count` >= 0) or change (`adjustment`, may be negative) one variant's units on hand.

    Give exactly one of the two. `variant_id` may be omitted when the product
    has a single variant. Raises NotFound (product or variant),
    ValidationFailed (422: both/neither amount, `variant_required`,
    negative stock), InsufficientStock (409) when an adjustment would go below 0.
    """
    if (inventory_count is None) == (adjustment is None):
        raise ValidationFailed("Give exactly one of inventoryCount or adjustment", reason="invalid_stock_change",
                               details=[{"field": "inventoryCount",
                                         "message": "Exactly one of inventoryCount, adjustment"}])
    with atomic():
        product = get_product(product_id, include_inactive=True)
        variants = list(Variant.select(Variant.id).where(Variant.product == product.id))
        if variant_id is None:
            if len(variants) != 1:
                raise ValidationFailed("This product has several variants: give variantId", reason="variant_required",
                                       details=[{"field": "variantId", "message": "Required"}])
            variant_id = variants[0].id
        elif variant_id not in {v.id for v in variants}:
            raise NotFound("Variant not found on this product", reason="variant_not_found")
        if inventory_count is not None:
            inventory.set_stock(variant_id, inventory_count)
        else:
            inventory.adjust_stock(variant_id, adjustment)
        Product.update(updated_at=utcnow()).where(Product.id == product.id).execute()
    return get_product(product.id, include_inactive=True)
