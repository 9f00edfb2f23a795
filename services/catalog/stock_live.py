"""Stock changes on the live-update channels (seed 001 "Real-time Features"): the
`stock-update` payload of a product and its `stock:{product id}` channel.

Publishing happens after commit (`live.publish_after_commit`), so a change that
rolls back never announces itself.
"""

from __future__ import annotations

from typing import Iterable

from models.catalog import Product, Variant
from services.catalog.warehouses import sellable_units
from services.platform import catalog_ttl, live


def stock_channel(product_id: str) -> str:
    """`cartwheel:stock:{product_id}`: stock changes of any variant of this product."""
    return live.channel(f"stock:{product_id}")


def product_stock_views(product_ids: Iterable[str]) -> dict[str, dict]:
    """`stock-update` payloads per product id (products without variants are left out):
    `{"productId", "inventoryCount" (available units: on hand minus reserved, all variants),
    "available", "variants": [{"variantId", "inventoryCount", "available"}]}` - sellable units (active
    warehouses), live (not archived) variants only."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    rows = (Variant.select(Variant.id, Variant.product, sellable_units(Variant.id))
            .where(Variant.product.in_(ids), Variant.archived_at.is_null())
            .order_by(Variant.product, Variant.position, Variant.id)
            .tuples())
    views: dict[str, dict] = {}
    for variant_id, product_id, quantity in rows:
        view = views.setdefault(product_id, {"productId": product_id, "inventoryCount": 0, "available": False,
                                             "variants": []})
        units = quantity or 0
        view["variants"].append({"variantId": variant_id, "inventoryCount": units, "available": units > 0})
        view["inventoryCount"] += units
        view["available"] = view["available"] or units > 0
    return views


def publish_product_stock(product_ids: Iterable[str]) -> None:
    """After a change of the stock of some variants of `product_ids`, announce each product's stock
    on its `stock:{product id}` channel after commit, and invalidate the catalog cache (every stock
    change comes here). Reads the levels inside the caller's transaction."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return
    catalog_ttl.invalidate_after_commit()
    for product_id, view in product_stock_views(ids).items():
        live.publish_after_commit(stock_channel(product_id), dict(view, type="stock"))


def active_products(product_ids: Iterable[str]) -> set[str]:
    """The ids among `product_ids` of products that exist and are active (publicly visible)."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return set()
    return {pid for (pid,) in Product.select(Product.id).where(Product.id.in_(ids), Product.status == "active")
            .tuples()}
