"""Which cart lines a promotion code applies to (its categories and products)."""

from __future__ import annotations

from models.carts import DiscountCode
from services import catalog
from services.errors import NotFound


def eligible_subtotal(code: DiscountCode, lines: list) -> int | None:
    """The subtotal (minor units) of the `lines` (services.orders.carts.CartLine: `unit_price`,
    `item.quantity`, `product.id`, `product.category_id`) that `code` applies to: None when it
    applies to the whole cart (no categories or products named); a line counts when its product
    is one of `product_ids` or sits in one of `category_ids` or their subcategories (a category
    deleted since covers nothing)."""
    if not code.category_ids and not code.product_ids:
        return None
    categories: set[str] = set()
    for category_id in code.category_ids:
        try:
            categories.update(catalog.subtree_ids(category_id, include_inactive=True))
        except NotFound:
            continue
    products = set(code.product_ids)
    return sum(line.unit_price * line.item.quantity for line in lines
               if line.product.id in products or line.product.category_id in categories)
