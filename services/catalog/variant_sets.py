"""Making a list the complete set of a product's variants, or of its images (Shopify's
product-update semantics): listed entries are matched to existing ones (variants by id, then
SKU, then option values or name; images by id, then URL) and keep their ids; unlisted ones go.

A variant that an order line references is *archived* (`archived_at` set: hidden from the
product, its stock views and carts, but kept with its stock for the order), never deleted;
unlisted variants no order refers to are deleted. Archived variants still take part in the
matching, so the same id, SKU or options coming back restore the archived row instead of
creating a duplicate; see `save_variants`.
"""

from __future__ import annotations

from models.carts import CartItem
from models.catalog import Product, ProductImage, Variant
from models.db import utcnow
from models.orders import OrderItem
from services.catalog import inventory
from services.catalog.weights import apply_selling
from services.errors import Conflict, ValidationFailed

VARIANT_FIELDS = ("name", "sku", "price", "compare_at_price", "wholesale_price", "weight_grams",
                  "requires_shipping")  # wholesale_price: minor units, None = none (carts of wholesale customers)


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
    """Pair each spec with the existing variant it updates (or None for a new one). Archived
    variants match too (and are restored), but a live variant wins a tie on options or name."""
    by_id = {v.id: v for v in existing}
    by_sku = {v.sku: v for v in existing if v.sku}
    by_key = {}
    for v in sorted(existing, key=lambda v: v.archived_at is None):  # live ones last: they win
        by_key[_variant_key(v.option_values or [], v.name)] = v
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


def _retire(stale: list[str], now) -> None:
    """Take unlisted variants off the product: archive those an order line refers to (and drop
    their cart lines), delete the others (their stock and cart lines go with them)."""
    if not stale:
        return
    ordered = {vid for (vid,) in OrderItem.select(OrderItem.variant_id).where(OrderItem.variant_id.in_(stale))
               .distinct().tuples()}
    if ordered:
        Variant.update(archived_at=now, updated_at=now).where(
            Variant.id.in_(list(ordered)), Variant.archived_at.is_null()).execute()
        CartItem.delete().where(CartItem.variant.in_(list(ordered))).execute()
    unordered = [vid for vid in stale if vid not in ordered]
    if unordered:
        Variant.delete().where(Variant.id.in_(unordered)).execute()


def save_variants(product: Product, specs: list[dict]) -> list[Variant]:
    """Make `specs` the product's complete variant set; returns the (live) variants in position order.

    Unlisted variants are archived when an order line refers to them, else deleted; a spec
    matching an archived variant (by id, SKU, or options/name) restores it. Raises
    ValidationFailed (422: no variants, inconsistent options, duplicate SKU or variant,
    unknown variant id, a new variant without a price, selling by weight: services.catalog.weights
    `apply_selling`; a variant changing between unit and weight loses its cart lines, as their
    quantities counted the other unit), Conflict (409 `duplicate_sku`: the SKU
    belongs to another product's variant, archived ones included).
    """
    if not specs:
        raise ValidationFailed("A product needs at least one variant", reason="no_variants",
                               details=[{"field": "variants", "message": "At least one variant"}])
    names = _option_layout(specs)
    _check_skus(product, specs)
    existing = list(Variant.select().where(Variant.product == product.id))
    plan = _match_variants(existing, specs, names)
    kept = {match.id for match, *_ in plan if match is not None}
    now = utcnow()
    _retire([v.id for v in existing if v.id not in kept], now)
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
        if apply_selling(variant, spec, f"variants.{position - 1}") and not is_new:
            CartItem.delete().where(CartItem.variant == variant.id).execute()  # pieces <-> grams: lines void
        variant.name = name
        variant.option_values = values
        variant.position = position
        variant.archived_at = None  # listed again: an archived variant is restored
        variant.updated_at = now
        variant.save(force_insert=is_new)
        if spec.get("inventory_count") is not None:
            inventory.set_stock(variant.id, spec["inventory_count"])
        saved.append(variant)
    product.options = names
    return saved


def save_images(product: Product, specs: list[dict]) -> None:
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
