"""Cart and order totals, in integer minor units.

total = subtotal - discount + tax + shipping, where
- subtotal = sum(unit price x quantity) at current prices, a line's unit price being
  `unit_price`: the variant's price - its wholesale price instead, when the cart's customer is in
  the `wholesale` customer group and the variant has one (seed 000) - plus what the line's chosen
  customizations add per unit (seed 001, services.catalog.customizations),
- discount = percentage (rounded half up) or fixed amount, never above subtotal,
- tax = round_half_up((subtotal - discount) x TAX_RATE) (tax on the discounted
  goods, shipping untaxed, as Shopify's default US set-up),
- shipping = the chosen method's price (standard until one is chosen; 0 for an empty cart).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import config
from models.carts import DiscountCode
from models.db import utcnow


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Totals:
    """Minor-unit totals of a cart or order."""

    subtotal: int
    discount: int
    tax: int
    shipping: int
    total: int
    item_count: int

    def as_dict(self) -> dict:
        return {"subtotal": self.subtotal, "tax": self.tax, "shipping": self.shipping, "discount": self.discount,
                "total": self.total, "itemCount": self.item_count}


def unit_price(price: int, wholesale_price: int | None, wholesale_customer: bool, customizations: int = 0) -> int:
    """A line's unit price in minor units: `wholesale_price` for a wholesale customer when the
    variant has one, else `price`, plus `customizations` (the chosen customizations' prices per
    unit, minor units). Retail customers and guests never get the wholesale price."""
    base = wholesale_price if wholesale_customer and wholesale_price is not None else price
    return base + customizations


def discount_amount(code: DiscountCode | None, subtotal: int) -> int:
    """Minor units a discount code takes off `subtotal` (0 when not applicable now)."""
    if code is None or not code.active or subtotal < code.minimum_amount:
        return 0
    now = utcnow()
    if (code.starts_at and now < code.starts_at) or (code.ends_at and now > code.ends_at):
        return 0
    if code.kind == "percentage":
        amount = round_half_up(Decimal(subtotal) * Decimal(code.value) / Decimal(100))
    else:
        amount = code.value
    return max(0, min(subtotal, amount))


def compute_totals(lines: list[tuple[int, int]], shipping_price: int | None, code: DiscountCode | None) -> Totals:
    """Totals for `lines` = [(unit_price, quantity)], a shipping price (None: standard) and a discount code."""
    subtotal = sum(price * qty for price, qty in lines)
    item_count = sum(qty for _, qty in lines)
    discount = discount_amount(code, subtotal)
    tax = round_half_up(Decimal(subtotal - discount) * config.get().tax_rate)
    if not lines:
        shipping = 0
    else:
        shipping = config.get().shipping_standard if shipping_price is None else shipping_price
    return Totals(subtotal, discount, tax, shipping, subtotal - discount + tax + shipping, item_count)
