"""Cart and order totals, in integer minor units.

total = subtotal - discount + tax + shipping, where
- subtotal = sum(unit price x quantity) at current prices, a line's unit price being
  `unit_price`: the variant's price - its wholesale price instead, when the cart's customer is in
  the `wholesale` customer group and the variant has one (seed 000) - plus what the line's chosen
  customizations add per unit (seed 001, services.catalog.customizations),
- a line of a variant sold by weight (seed 003) counts pieces of a chosen weight: its variant's
  price (or wholesale price) is per kilogram, and one piece costs
  `round_half_up(price_per_kg x weight_grams / 1000)` minor units (`weight_price`: rounded once
  per piece, half up, before customizations are added and before multiplying by the quantity,
  so a line's subtotal is always quantity x the unit price shown; e.g. 3 490/kg x 125 g =
  436.25 -> 436, x 3 pieces = 1 308),
- discount = a promotion code's (services.orders.promotions, DiscountCode): a percentage (rounded
  half up) of the eligible lines' subtotal, at most its `maximum_discount`, or a fixed amount,
  never above the eligible subtotal; a free-shipping code takes nothing off the goods,
- tax = round_half_up((subtotal - discount) x TAX_RATE) (tax on the discounted
  goods, shipping untaxed, as Shopify's default US set-up),
- shipping = the chosen method's price (standard until one is chosen; 0 for an empty cart),
  0 under a free-shipping code (`shipping_discount` is then the price waived).

A code applies only while active, inside its validity window and with the subtotal (all lines)
at or above its `minimum_amount`; else it takes 0 off (the usage limits are checked by
services.orders.promotions, which needs the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import config
from models.carts import DiscountCode
from models.db import utcnow


def round_half_up(value: Decimal) -> int:
    """`value` rounded to a whole number, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def weight_price(price_per_kg: int, weight_grams: int) -> int:
    """Minor units of one piece of `weight_grams` grams at `price_per_kg` minor units per kilogram:
    `round_half_up(price_per_kg x weight_grams / 1000)` (exact decimal arithmetic, no floats)."""
    return round_half_up(Decimal(price_per_kg) * weight_grams / 1000)


@dataclass(frozen=True)
class Totals:
    """Minor-unit totals of a cart or order."""

    subtotal: int
    discount: int
    tax: int
    shipping: int
    total: int
    item_count: int
    shipping_discount: int = 0

    def as_dict(self) -> dict:
        return {"subtotal": self.subtotal, "tax": self.tax, "shipping": self.shipping, "discount": self.discount,
                "shippingDiscount": self.shipping_discount, "total": self.total, "itemCount": self.item_count}


def base_price(price: int, wholesale_price: int | None, wholesale_customer: bool) -> int:
    """The variant price a customer pays (minor units; per kilogram for a weight variant):
    `wholesale_price` for a wholesale customer when the variant has one, else `price`."""
    return wholesale_price if wholesale_customer and wholesale_price is not None else price


def unit_price(price: int, wholesale_price: int | None, wholesale_customer: bool, customizations: int = 0,
               weight_grams: int | None = None) -> int:
    """A line's unit price in minor units: `base_price` (retail customers and guests never get the
    wholesale price) - for a weight line (`weight_grams` > 0: grams per piece, the prices being
    per kilogram) `weight_price` of it - plus `customizations` (the chosen customizations' prices
    per unit, minor units)."""
    base = base_price(price, wholesale_price, wholesale_customer)
    if weight_grams:
        base = weight_price(base, weight_grams)
    return base + customizations


def code_in_force(code: DiscountCode | None, subtotal: int) -> bool:
    """Whether `code` applies now to a cart of `subtotal` (minor units): active, inside its
    validity window, and the subtotal at or above its minimum."""
    if code is None or not code.active or subtotal < code.minimum_amount:
        return False
    now = utcnow()
    return not ((code.starts_at and now < code.starts_at) or (code.ends_at and now > code.ends_at))


def discount_amount(code: DiscountCode | None, subtotal: int, eligible_subtotal: int | None = None) -> int:
    """Minor units a code takes off the goods: 0 when not in force (`code_in_force`) or for free
    shipping; else a percentage of `eligible_subtotal` (the lines it applies to; None: all of
    `subtotal`) rounded half up and capped at `maximum_discount`, or the fixed amount, never more
    than the eligible subtotal."""
    if not code_in_force(code, subtotal) or code.kind == "free_shipping":
        return 0
    base = subtotal if eligible_subtotal is None else eligible_subtotal
    if code.kind == "percentage":
        amount = round_half_up(Decimal(base) * Decimal(code.value) / Decimal(100))
        if code.maximum_discount is not None:
            amount = min(amount, code.maximum_discount)
    else:
        amount = code.value
    return max(0, min(base, amount))


def compute_totals(lines: list[tuple[int, int]], shipping_price: int | None, code: DiscountCode | None,
                   eligible_subtotal: int | None = None) -> Totals:
    """Totals for `lines` = [(unit_price, quantity)], a shipping price (None: standard), a promotion
    code and the subtotal of the lines it applies to (None: all; 0: none, so it takes nothing)."""
    subtotal = sum(price * qty for price, qty in lines)
    item_count = sum(qty for _, qty in lines)
    discount = discount_amount(code, subtotal, eligible_subtotal)
    tax = round_half_up(Decimal(subtotal - discount) * config.get().tax_rate)
    if not lines:
        shipping = 0
    else:
        shipping = config.get().shipping_standard if shipping_price is None else shipping_price
    waived = 0
    if code is not None and code.kind == "free_shipping" and code_in_force(code, subtotal) \
            and (eligible_subtotal is None or eligible_subtotal > 0):
        waived, shipping = shipping, 0
    return Totals(subtotal, discount, tax, shipping, subtotal - discount + tax + shipping, item_count, waived)
