"""Catalog: products with variants and stock."""

from __future__ import annotations

from models.catalog import Product, Variant
from models.db import new_id
from services.catalog import inventory


def make_product(name="Vitamin C Serum", price=2950, stock=10, variants=None, currency="USD", status="active",
                 **fields) -> Product:
    """A product with variants `[{"name", "sku", "price", "stock"}]` (default: one variant)."""
    handle = fields.pop("handle", None) or f"{name.lower().replace(' ', '-')}-{new_id('h')[-8:].lower()}"
    variants = variants or [{"name": "Default", "sku": None, "price": price, "stock": stock}]
    product = Product.create(name=name, handle=handle, currency=currency, status=status,
                             price=min(v["price"] for v in variants), **fields)
    for position, spec in enumerate(variants, start=1):
        variant = Variant.create(product=product, name=spec.get("name", "Default"),
                                 sku=spec.get("sku") or f"SKU-{new_id('s')[-10:]}", price=spec["price"],
                                 compare_at_price=spec.get("compare_at_price"), position=position)
        inventory.set_stock(variant.id, spec.get("stock", stock))
    return product


def first_variant(product: Product) -> Variant:
    return Variant.select().where(Variant.product == product).order_by(Variant.position).first()


def approve_review(review_id: str) -> None:
    """Approve a (pending) review as a staff member would, through the moderation service."""
    from models.users import User
    from services import catalog
    from tests.factories.customers import quick_user

    staff = User.select().where(User.role == "staff").first() or quick_user(role="staff")
    catalog.approve_review(staff, review_id)


def make_weight_product(name="Comte AOP", price_per_kg=3490, grams=5000, step=50, minimum=100, **fields) -> Product:
    """A cheese sold by weight: one variant at `price_per_kg` minor units per kilogram, `grams` of
    stock, pieces cut in multiples of `step` grams from `minimum` (services.catalog.weights)."""
    product = make_product(name=name, price=price_per_kg, stock=grams, **fields)
    Variant.update(sold_by="weight", weight_step_grams=step, min_weight_grams=minimum).where(
        Variant.product == product.id).execute()
    return product
