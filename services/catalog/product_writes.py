"""The catalog's writes: create, update, upsert (imports) and archive products; set their stock.

Writes take a snake_case dict (what the web schemas load, and what the Shopify
importer builds):

    {"name", "description", "handle", "category" (slug or None), "category_id" (an existing
     category's id or None; give one of the two), "tags", "status",
     "seo_title", "seo_description", "vendor", "product_type", "store_id",
     "kind" (models.catalog.PRODUCT_KINDS), "is_featured" (bool),
     "attributes" (dict: the complete typed attribute set), "attribute_updates" (dict: attributes
     to set over the current ones, None removes one; what top-level API fields such as
     `occasion` become), "currency",
     "images": [{"id"?, "url", "alt_text", "sort_order"}],
     "customizations": [definition] (the complete new list; services.catalog.customizations),
     "variants": [{"id"?, "name", "sku", "price", "compare_at_price", "wholesale_price" (minor
                   units or None),
                   "inventory_count", "weight_grams", "requires_shipping",
                   "sold_by" ("unit" | "weight"), "weight_step_grams", "min_weight_grams" (grams; weight
                   variants only, services.catalog.weights: their price is per kilogram and their
                   inventory_count grams),
                   "options": [{"name", "value"}]}]}

A given `variants` (or `images`) list is the complete new set, as in Shopify's
product update: listed entries are matched to existing ones (variants by id,
then SKU, then option values or name; images by id, then URL) and keep their
ids; unlisted images are deleted. An unlisted variant is archived when an order
line refers to it (it keeps its row and stock, so cancelling that order gives
the units back, but is no longer sold or shown), deleted otherwise; see
`variant_sets`. Orders keep their own product snapshot, so neither rewrites history.

Typed attributes (services.catalog.product_attributes) are validated against the product's
kind whenever `kind`, `attributes` or `attribute_updates` is given (always on create), and
the product's ProductAttributeValue filter rows are rewritten in the same transaction. A
new product without `kind` is `general`, unless its attributes need one kind (`occasion` ->
florist, `skinTypes` -> skincare...: `product_attributes.infer_kind`). Changing the kind of a
product keeps its attributes, so they must suit the new kind (or be replaced in the same write).
"""

from __future__ import annotations

import peewee

import config
from models.catalog import PRODUCT_STATUSES, Category, Product, Store, Variant
from models.db import atomic, utcnow
from models.wishlists import WishlistItem
from services.catalog import categories, inventory, product_attributes, slug_redirects
from services.catalog.customizations import normalise_customizations
from services.catalog.products import get_product
from services.catalog.slugs import RESERVED_HANDLES, free_slug, slugify
from services.catalog.variant_sets import save_images, save_variants
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import catalog_ttl, events

PRODUCT_FIELDS = ("name", "description", "vendor", "product_type", "tags", "status", "seo_title",
                  "seo_description", "is_featured")


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
    """A free handle for `name` (a reserved word such as `search` counts as taken)."""
    return free_slug(name, Product.handle, "product", RESERVED_HANDLES)


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
    if "category_id" in data:
        product.category = categories.existing_category_id(data["category_id"])
    if "store_id" in data:
        store_id = data["store_id"]
        if store_id and not Store.select().where(Store.id == store_id).exists():
            raise ValidationFailed("Store not found", reason="unknown_store",
                                   details=[{"field": "storeId", "message": "No such store"}])
        product.store = store_id
    if data.get("handle"):
        handle = slugify(data["handle"], 255)
        if handle in RESERVED_HANDLES:
            raise ValidationFailed(f"{handle!r} is a fixed path under /products and cannot be a handle",
                                   reason="reserved_handle",
                                   details=[{"field": "handle", "message": "Reserved word"}])
        clash = Product.select().where(Product.handle == handle, Product.id != product.id).exists()
        if clash:
            raise Conflict(f"Handle {handle!r} is already used by another product", reason="handle_taken",
                           details=[{"field": "handle", "message": "Already used"}])
        slug_redirects.record_slug_change("product", product.handle, handle, product.id)
        product.handle = handle
    elif not product.handle:
        product.handle = _unique_handle(product.name)
    product.updated_at = utcnow()


def _apply_attributes(product: Product, data: dict, creating: bool) -> bool:
    """Validate and set `product.kind` and `product.attributes` from `data` (module docstring);
    True when they were (re)set, so the filter rows need rewriting."""
    updates = data.get("attribute_updates") or {}
    if not creating and "kind" not in data and data.get("attributes") is None and not updates:
        return False
    if data.get("attributes") is not None:
        base = data["attributes"]
    else:
        base = {} if creating else (product.attributes or {})
    merged = {**base, **updates}
    kind = data.get("kind") or (product_attributes.infer_kind(merged) if creating else product.kind)
    product.attributes = product_attributes.validate_attributes(kind, merged, top_level=frozenset(updates))
    product.kind = kind
    return True


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
    reindex = _apply_attributes(product, data, creating)
    if data.get("customizations") is not None:  # the complete new list (services.catalog.customizations)
        product.customizations = normalise_customizations(data["customizations"])
    if creating and "variants" not in data:
        raise ValidationFailed("A product needs at least one variant", reason="no_variants",
                               details=[{"field": "variants", "message": "Required"}])
    if creating:
        product.price = 0
        product.save(force_insert=True)
    if "variants" in data:
        variants = save_variants(product, data["variants"])
    else:
        variants = list(Variant.select().where(Variant.product == product.id, Variant.archived_at.is_null()))
    if "images" in data:
        save_images(product, data["images"] or [])
    _mirror_cheapest(product, variants)
    product.save()
    if reindex:
        product_attributes.reindex(product)
    if old_price is not None and product.price < old_price and product.status == "active" \
            and WishlistItem.select().where(WishlistItem.product == product.id).exists():
        events.emit("wishlist.price_drop", product.id, {"productId": product.id, "oldPrice": old_price,
                                                         "newPrice": product.price, "currency": product.currency})
    catalog_ttl.invalidate_after_commit()
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
        catalog_ttl.invalidate_after_commit()
    return get_product(product.id, include_inactive=True)


def set_product_stock(product_id: str, variant_id: str | None = None, inventory_count: int | None = None,
                      adjustment: int | None = None, warehouse_id: str | None = None,
                      actor_id: str | None = None) -> Product:
    """Set (`inventory_count` >= 0) or change (`adjustment`, may be negative) one variant's units on
    hand in `warehouse_id` (default: the default warehouse); the movement names `actor_id`.

    Give exactly one of the two. `variant_id` may be omitted when the product
    has a single (live) variant. Raises NotFound (product, or a variant not on it or archived,
    `warehouse_not_found`), ValidationFailed (422: both/neither amount, `variant_required`,
    negative stock), InsufficientStock (409) when an adjustment would go below 0.
    """
    if (inventory_count is None) == (adjustment is None):
        raise ValidationFailed("Give exactly one of inventoryCount or adjustment", reason="invalid_stock_change",
                               details=[{"field": "inventoryCount",
                                         "message": "Exactly one of inventoryCount, adjustment"}])
    with atomic():
        product = get_product(product_id, include_inactive=True)
        variants = list(Variant.select(Variant.id).where(Variant.product == product.id,
                                                         Variant.archived_at.is_null()))
        if variant_id is None:
            if len(variants) != 1:
                raise ValidationFailed("This product has several variants: give variantId", reason="variant_required",
                                       details=[{"field": "variantId", "message": "Required"}])
            variant_id = variants[0].id
        elif variant_id not in {v.id for v in variants}:
            raise NotFound("Variant not found on this product", reason="variant_not_found")
        if inventory_count is not None:
            inventory.set_stock(variant_id, inventory_count, warehouse_id=warehouse_id, actor_id=actor_id)
        else:
            inventory.adjust_stock(variant_id, adjustment, warehouse_id=warehouse_id, actor_id=actor_id)
        Product.update(updated_at=utcnow()).where(Product.id == product.id).execute()
    return get_product(product.id, include_inactive=True)
